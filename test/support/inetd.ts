/**
 * A tiny inetd for tests: listens on 127.0.0.1 and runs a program per
 * connection with the accepted socket as its stdin and stdout, exactly what
 * xinetd (`wait = no`) and systemd (`Accept=yes`, `StandardInput=socket`)
 * do. stderr is captured, so a test can assert that an executable never
 * writes there.
 *
 *     const d = await Inetd.start({ command: binPath('mysql-failover-http'), args: [...] });
 *     after(() => d.close());
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';

export interface InetdOptions {
  command: string;
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Most children alive at once (xinetd's `instances`); further connections are closed. */
  maxChildren?: number;
}

export interface ChildRecord {
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  ms: number;
}

/** Absolute path of one of the project's executables (bin/NAME, the JS shim). */
export function binPath(name: string): string {
  return path.resolve(__dirname, '..', '..', '..', 'bin', name);
}

export class Inetd {
  readonly port: number;
  /** Connections accepted so far. */
  connections = 0;
  /** Finished children, oldest first (at most the last 1000). */
  readonly finished: ChildRecord[] = [];
  private readonly server: net.Server;
  private readonly live = new Set<ChildProcess>();
  private closing: Promise<void> | undefined;

  private constructor(server: net.Server, port: number) {
    this.server = server;
    this.port = port;
  }

  static start(opts: InetdOptions): Promise<Inetd> {
    const maxChildren = opts.maxChildren ?? 20;
    return new Promise<Inetd>((resolve, reject) => {
      // pauseOnConnect: the parent must not read a byte that belongs to the child.
      const server = net.createServer({ pauseOnConnect: true });
      let inetd: Inetd | undefined;
      server.on('connection', (socket) => {
        if (inetd === undefined || inetd.closing !== undefined || inetd.live.size >= maxChildren) {
          socket.destroy();
          return;
        }
        inetd.onConnection(socket, opts);
      });
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, () => {
        const addr = server.address();
        const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
        inetd = new Inetd(server, port);
        resolve(inetd);
      });
    });
  }

  private onConnection(socket: net.Socket, opts: InetdOptions): void {
    this.connections++;
    const started = Date.now();
    let child: ChildProcess;
    try {
      // The socket's descriptor is duplicated into the child as fd 0 and 1.
      child = spawn(opts.command, [...(opts.args ?? [])], {
        stdio: [socket, socket, 'pipe'],
        env: opts.env ?? process.env,
      });
    } catch {
      socket.destroy();
      return;
    }
    // The child has its copies now; closing ours (close(2), not shutdown(2))
    // leaves the connection to the child, as inetd does.
    socket.destroy();
    this.live.add(child);
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      if (stderr.length < 10_000) stderr += d;
    });
    child.on('error', () => undefined);
    child.on('close', (code, signal) => {
      this.live.delete(child);
      this.finished.push({ pid: child.pid, code, signal, stderr, ms: Date.now() - started });
      if (this.finished.length > 1000) this.finished.shift();
    });
  }

  /** Everything finished children wrote to stderr, with their pids. */
  stderrSeen(): string[] {
    return this.finished.filter((c) => c.stderr !== '').map((c) => `pid ${c.pid}: ${c.stderr}`);
  }

  /** Children that exited with a status other than 0 (or were killed). */
  failures(): ChildRecord[] {
    return this.finished.filter((c) => c.code !== 0);
  }

  /** Stops accepting, kills running children and waits for them. Safe to call twice. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
        const waits = [...this.live].map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once('close', () => resolve());
              c.kill('SIGKILL');
              setTimeout(resolve, 5_000).unref();
            }),
        );
        await Promise.all(waits);
      })();
    }
    return this.closing;
  }
}
