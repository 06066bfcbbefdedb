/**
 * The listeners of `mysql-failover-check serve`: HTTP for HAProxy's httpchk
 * (and F5, LVS, keepalived) and HAProxy's agent-check over TCP, answering
 * from the resident engine with the same bytes as the per-connection
 * executables (src/answers/http.ts, src/answers/agent.ts).
 *
 * Each connection is bounded like the xinetd modes: at most 8 KiB read and
 * 1 s to send a request head, one answer, then the socket is closed (and
 * destroyed if the client does not close its side soon after). Stopping
 * closes the listeners first, lets connections already being answered finish
 * within a bound, then destroys whatever is left.
 */
import * as net from 'node:net';
import type { Decision } from '../core/decide';
import { CheckError } from '../core/errors';
import { agentLine, type MaintenanceState } from '../answers/agent';
import { MAX_REQUEST_BYTES, rejectResponse, REQUEST_TIMEOUT_MS, verdictResponse } from '../answers/http';
import { readBounded } from '../io/bounded-io';
import { readHttpRequest } from '../answers/http-request';
import { startResident } from './engine';
import type { ProbeResult } from '../probe/probe';
import type { CheckSettings } from '../config/settings';
import { parseHostPort } from '../config/value-parsers';

export type ListenerKind = 'http' | 'agent';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface ServeConfig {
  http?: ListenAddress | undefined;
  agent?: ListenAddress | undefined;
  agentMaintenance: MaintenanceState;
  /** The probe's own bound (--timeout): how long an answer may take. */
  timeoutMs: number;
}

export interface Serving {
  /** Where each listener is bound, e.g. for a startup line. */
  readonly listening: ReadonlyArray<{ kind: ListenerKind } & ListenAddress>;
  /** Stops accepting, answers what is in flight (bounded), then destroys what is left. */
  stop(): Promise<void>;
}

/** `HOST:PORT` or `[V6]:PORT`, both required: a listener binds exactly where it is told, never to a default. */
export function parseListenAddress(name: string, text: string): ListenAddress {
  const address = parseHostPort(name, text, 0);
  if (address.port === 0) throw new CheckError('USAGE', `--${name} needs HOST:PORT, got ${JSON.stringify(text)}`);
  return address;
}

/** After our answer, the client gets this long to close its side before the socket is destroyed. */
export const LINGER_MS = 1000;
/**
 * Connections per listener, and the accept backlog: a load balancer farm's
 * probe burst must not overflow Node's default backlog of 511, where the
 * kernel drops SYNs and the client retries only after a second.
 */
export const MAX_CONNECTIONS = 4096;

function answerHttp(socket: net.Socket, probe: () => Promise<Decision>): Promise<string> {
  return readHttpRequest(socket).then(async (request) =>
    request.ok ? verdictResponse(await probe(), request.method) : rejectResponse(request),
  );
}

async function answerAgent(socket: net.Socket, probe: () => Promise<Decision>, maintenance: MaintenanceState): Promise<string> {
  // HAProxy sends nothing unless agent-send is set; whatever comes is read and
  // dropped, so that closing never resets the socket under our answer.
  void readBounded(socket, { maxBytes: MAX_REQUEST_BYTES, timeoutMs: LINGER_MS + REQUEST_TIMEOUT_MS });
  return agentLine(await probe(), maintenance);
}

function listen(kind: ListenerKind, address: ListenAddress, handle: (socket: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, handle);
    server.maxConnections = MAX_CONNECTIONS;
    const onError = (e: NodeJS.ErrnoException): void => {
      reject(
        new CheckError('CONNECT_FAILED', `cannot listen for ${kind} on ${address.host}:${address.port}: ${e.code ?? e.message}`, {
          cause: e,
        }),
      );
    };
    server.once('error', onError);
    server.listen({ host: address.host, port: address.port, exclusive: true, backlog: MAX_CONNECTIONS }, () => {
      server.off('error', onError);
      // After start-up, a failing accept must not end the process.
      server.on('error', () => undefined);
      resolve(server);
    });
  });
}

export async function startServing(config: ServeConfig, probe: () => Promise<Decision>): Promise<Serving> {
  const sockets = new Set<net.Socket>();
  const answering = new Set<Promise<void>>();

  const serveOne = (socket: net.Socket, answer: (s: net.Socket) => Promise<string>): void => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    let linger: NodeJS.Timeout | undefined;
    socket.once('close', () => {
      sockets.delete(socket);
      clearTimeout(linger);
    });
    const done = answer(socket)
      .then(
        (text) => {
          if (!socket.destroyed) socket.end(text, 'latin1');
        },
        () => {
          socket.destroy();
        },
      )
      .finally(() => {
        answering.delete(done);
        if (!socket.destroyed) {
          linger = setTimeout(() => socket.destroy(), LINGER_MS);
          linger.unref();
        }
      });
    answering.add(done);
  };

  const servers: Array<{ kind: ListenerKind; server: net.Server; address: ListenAddress }> = [];
  try {
    if (config.http !== undefined) {
      const server = await listen('http', config.http, (s) => serveOne(s, (x) => answerHttp(x, probe)));
      servers.push({ kind: 'http', server, address: config.http });
    }
    if (config.agent !== undefined) {
      const maintenance = config.agentMaintenance;
      const server = await listen('agent', config.agent, (s) => serveOne(s, (x) => answerAgent(x, probe, maintenance)));
      servers.push({ kind: 'agent', server, address: config.agent });
    }
  } catch (e) {
    for (const s of servers) s.server.close();
    throw e;
  }

  const listening = servers.map(({ kind, server, address }) => {
    const bound = server.address();
    return { kind, host: address.host, port: typeof bound === 'object' && bound !== null ? bound.port : address.port };
  });

  let stopping: Promise<void> | undefined;
  return {
    listening,
    stop() {
      stopping ??= (async () => {
        for (const s of servers) s.server.close();
        // A connection still reading its request, then waiting for the check.
        const bound = REQUEST_TIMEOUT_MS + config.timeoutMs + 100;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...answering]),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, bound);
          }),
        ]);
        clearTimeout(timer);
        // Answers written with end() may still be on their way: give the clients a moment to close.
        await new Promise<void>((resolve) => {
          if (sockets.size === 0) return resolve();
          const give = setTimeout(resolve, LINGER_MS);
          for (const s of sockets) {
            s.once('close', () => {
              if (sockets.size === 0) {
                clearTimeout(give);
                resolve();
              }
            });
          }
        });
        for (const s of sockets) s.destroy();
      })();
      return stopping;
    },
  };
}

export interface ServeRun extends Omit<ServeConfig, 'timeoutMs'> {
  cacheMs: number;
  /** One line per listener once it is bound. */
  announce: (line: string) => void;
  /** One call per finished check (the --log-file line). */
  onCheck?: (decision: Decision, elapsedMs: number) => void;
  /** One call per finished check with the failover state's outcome (its lines, hooks, pushes). */
  onResult?: (result: ProbeResult) => void;
  /** Resolves when the process is told to stop (SIGTERM/SIGINT by default). */
  stopSignal?: Promise<unknown>;
}

/** Resolves on the first SIGTERM or SIGINT; later ones are ignored while stopping. */
export function terminationSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => resolve(signal);
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/**
 * The whole life of `serve`: the resident engine, the listeners, then, when
 * told to stop, listeners closed, in-flight answers given, sessions closed.
 * Rejects only when a listener cannot be bound (nothing is left running then).
 */
export async function serve(settings: CheckSettings, run: ServeRun): Promise<void> {
  const resident = startResident(settings, {
    cacheMs: run.cacheMs,
    ...(run.onCheck ? { onCheck: run.onCheck } : {}),
    ...(run.onResult ? { onResult: run.onResult } : {}),
  });
  let serving: Serving;
  try {
    serving = await startServing({ ...run, timeoutMs: settings.timeoutMs }, () => resident.probe());
  } catch (e) {
    await resident.close();
    throw e;
  }
  for (const l of serving.listening) run.announce(`${l.kind} on ${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`);
  await (run.stopSignal ?? terminationSignal());
  await serving.stop();
  await resident.close();
}
