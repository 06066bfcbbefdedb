/**
 * `mysql-failover-check serve`: HTTP for HAProxy's httpchk (and F5, LVS,
 * keepalived) and HAProxy's agent-check over TCP, answering from the
 * resident engine with the same bytes as the per-connection executables
 * (src/answers/http.ts, src/answers/agent.ts); `GET /metrics` on the HTTP
 * listener (docs/metrics.md); the --interval watcher, hooks and HAProxy
 * pushes (docs/acting-on-transitions.md); SIGHUP to re-read the option files
 * (docs/operations.md).
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
import { isMetricsRequest, MAX_REQUEST_BYTES, metricsResponse, rejectResponse, REQUEST_TIMEOUT_MS, verdictResponse } from '../answers/http';
import { readBounded } from '../io/bounded-io';
import { appendLine, logDecision } from '../io/log-file';
import { readHttpRequest } from '../answers/http-request';
import { startResident, type Configuration, type ReloadOutcome, type ReloadTrigger } from './engine';
import { residentActions } from './actions';
import { haproxySync } from './haproxy-sync';
import { startMetrics } from './metrics-feed';
import { formatReloadLine } from './reload';
import { startWatcher, type Watcher } from './watcher';
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

export interface ServeHandlers {
  /** The verdict for one probe on this listener. */
  probe(kind: ListenerKind): Promise<Decision>;
  /** The body of GET /metrics; without it, /metrics is a health check like any other path. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

function answerHttp(socket: net.Socket, handlers: ServeHandlers): Promise<string> {
  return readHttpRequest(socket).then(async (request) => {
    if (!request.ok) return rejectResponse(request);
    if (handlers.metrics !== undefined && isMetricsRequest(request)) return metricsResponse(await handlers.metrics(), request.method);
    return verdictResponse(await handlers.probe('http'), request.method);
  });
}

async function answerAgent(socket: net.Socket, handlers: ServeHandlers, maintenance: MaintenanceState): Promise<string> {
  // HAProxy sends nothing unless agent-send is set; whatever comes is read and
  // dropped, so that closing never resets the socket under our answer.
  void readBounded(socket, { maxBytes: MAX_REQUEST_BYTES, timeoutMs: LINGER_MS + REQUEST_TIMEOUT_MS });
  return agentLine(await handlers.probe('agent'), maintenance);
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

export async function startServing(config: ServeConfig, handlers: ServeHandlers): Promise<Serving> {
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
      const server = await listen('http', config.http, (s) => serveOne(s, (x) => answerHttp(x, handlers)));
      servers.push({ kind: 'http', server, address: config.http });
    }
    if (config.agent !== undefined) {
      const maintenance = config.agentMaintenance;
      const server = await listen('agent', config.agent, (s) => serveOne(s, (x) => answerAgent(x, handlers, maintenance)));
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
  /** --interval in ms: the watcher's period; 0 for none. */
  intervalMs: number;
  /** Names this process in the --log-file lines. */
  tool: string;
  /** For build_info in /metrics. */
  version: string;
  /** One line per listener once it is bound. */
  announce: (line: string) => void;
  /** Where the option files are read again (SIGHUP, a refused login); without it, nothing is re-read. */
  configuration?: Configuration;
  /** Resolves when the process is told to stop (SIGTERM/SIGINT by default). */
  stopSignal?: Promise<unknown>;
  /** Calls `reload` on every request to re-read the configuration (SIGHUP by default); returns how to stop listening. */
  reloadSignal?: (reload: () => void) => () => void;
}

/** Resolves on the first SIGTERM or SIGINT; later ones are ignored while stopping. */
export function terminationSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => resolve(signal);
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/** SIGHUP, which would otherwise end the process: systemd's ExecReload sends it. */
export function hangupSignal(reload: () => void): () => void {
  const on = (): void => reload();
  process.on('SIGHUP', on);
  return () => process.off('SIGHUP', on);
}

/**
 * The whole life of `serve`: the resident engine, the metrics, the hooks'
 * queue and the HAProxy reconciliation, the listeners, the watcher; then,
 * when told to stop, the watcher and the listeners stopped, in-flight
 * answers given, sessions closed. Rejects only when a listener cannot be
 * bound (nothing is left running then).
 */
export async function serve(settings: CheckSettings, run: ServeRun): Promise<void> {
  const metrics = startMetrics(run.version);
  const haproxy = haproxySync(run.tool, run.agentMaintenance, (job) => actions.enqueue(job));
  const actions = residentActions(run.tool, run.agentMaintenance, {
    onRun: (r) => metrics.countHookRun(r),
    onPush: (o) => haproxy.onPush(o),
  });
  const watching = run.intervalMs > 0;

  const configuration: Configuration | undefined =
    run.configuration === undefined
      ? undefined
      : {
          read: run.configuration.read,
          onReload: (outcome: ReloadOutcome, trigger: ReloadTrigger) => {
            const logFile = outcome.settings.logFile;
            if (logFile !== undefined) appendLine(logFile, formatReloadLine(outcome, trigger, run.tool));
            run.configuration?.onReload?.(outcome, trigger);
          },
        };
  const resident = startResident(settings, {
    cacheMs: run.cacheMs,
    onResult: (r, s) => actions.onResult(r, s),
    onCheck: (d, ms, s) => {
      if (s.logFile !== undefined) logDecision(s.logFile, run.tool, d, ms, s.secrets);
    },
    onChecked: (c) => {
      metrics.observe(c);
      // Without a watcher, a failed push is tried again at the next check.
      if (!watching) haproxy.retryFailed(c.settings, c.result);
    },
    ...(configuration === undefined ? {} : { configuration }),
  });
  const reconcile = (): void => {
    if ((resident.settings().failover?.haproxy.length ?? 0) === 0) return;
    void resident.background().then((c) => haproxy.reconcileAll(c.settings, c.result));
  };
  const unlisten = (run.reloadSignal ?? hangupSignal)(() => {
    // New HAProxy targets (or new credentials) are set to this node's answer at once.
    if (resident.reload('SIGHUP').kind === 'applied') reconcile();
  });

  let serving: Serving;
  try {
    serving = await startServing(
      {
        ...run,
        // Read when stopping: a reload may have changed --timeout since.
        get timeoutMs() {
          return resident.settings().timeoutMs;
        },
      },
      {
        probe: (kind) =>
          resident.probe().then((d) => {
            metrics.countProbe(kind);
            return d;
          }),
        metrics: async () => {
          await resident.background();
          return metrics.render(Date.now());
        },
      },
    );
  } catch (e) {
    unlisten();
    await resident.close();
    throw e;
  }
  for (const l of serving.listening) run.announce(`${l.kind} on ${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`);

  let watcher: Watcher | undefined;
  if (watching) {
    let first = true;
    watcher = startWatcher(run.intervalMs, async () => {
      const c = await resident.background();
      if (first) haproxy.reconcileAll(c.settings, c.result);
      else haproxy.retryFailed(resident.settings(), c.result);
      first = false;
    });
  } else {
    reconcile();
  }

  await (run.stopSignal ?? terminationSignal());
  await watcher?.stop();
  await serving.stop();
  unlisten();
  await resident.close();
}
