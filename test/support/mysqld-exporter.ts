/**
 * Debian's prometheus-mysqld-exporter (prometheus/mysqld_exporter 0.14) as a
 * plain process on 127.0.0.1 (a free port) for side-by-side measurements:
 * credentials in a [client] option file of mode 0600 given with
 * --config.my-cnf, never in argv; an environment holding only PATH, so a
 * DATA_SOURCE_NAME of the caller's cannot override that file; the
 * replica-status collector enabled. `stop()` (call it from `after()`) kills
 * it and removes its directory; its pid is registered with the run directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findExecutable, freePort, makeTempDir, registerPid } from './run-dir';

export function mysqldExporterPath(): string {
  const p = findExecutable('prometheus-mysqld-exporter');
  if (!p) {
    throw new Error(
      'prometheus-mysqld-exporter not found; install it with: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y prometheus-mysqld-exporter',
    );
  }
  return p;
}

export interface ExporterLogin {
  host: '127.0.0.1';
  port: number;
  user: string;
  /** Written to the option file only; must need no quoting (go-ini reads the file, not the MySQL client). */
  password: string;
}

const REQUEST_TIMEOUT_MS = 5_000;
const START_TIMEOUT_MS = 15_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class MysqldExporter {
  readonly dir: string;
  readonly url: string;
  readonly argv: readonly string[];
  private readonly child: ChildProcess;
  private exitInfo: string | undefined;
  private readonly exited: Promise<void>;

  private constructor(dir: string, port: number, argv: readonly string[], child: ChildProcess) {
    this.dir = dir;
    this.url = `http://127.0.0.1:${port}/metrics`;
    this.argv = argv;
    this.child = child;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = signal ? `killed by ${signal}` : `exited with status ${code}`;
        resolve();
      });
      child.once('error', (e) => {
        this.exitInfo = `failed to start: ${e.message}`;
        resolve();
      });
    });
  }

  /** Starts the exporter for `login` and resolves once /metrics answers 200. */
  static async start(login: ExporterLogin): Promise<MysqldExporter> {
    if (!/^[A-Za-z0-9_.-]+$/.test(login.password) || !/^[A-Za-z0-9_]+$/.test(login.user)) {
      throw new Error('MysqldExporter: use a user and password without characters go-ini would read as quotes or comments');
    }
    const binary = mysqldExporterPath();
    const dir = makeTempDir('mysqld-exp-');
    const cnf = path.join(dir, 'exporter.cnf');
    fs.writeFileSync(cnf, `[client]\nuser=${login.user}\npassword=${login.password}\nhost=${login.host}\nport=${login.port}\n`, {
      mode: 0o600,
    });
    fs.chmodSync(cnf, 0o600);
    const port = await freePort();
    const argv = [`--config.my-cnf=${cnf}`, `--web.listen-address=127.0.0.1:${port}`, '--collect.slave_status'];
    const log = fs.openSync(path.join(dir, 'exporter.log'), 'a');
    const child = spawn(binary, argv, { stdio: ['ignore', log, log], cwd: dir, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
    fs.closeSync(log);
    if (child.pid !== undefined) registerPid(child.pid, 'mysqld-exporter');
    const exporter = new MysqldExporter(dir, port, argv, child);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (exporter.exitInfo !== undefined) throw new Error(`mysqld exporter ${exporter.exitInfo} while starting:\n${exporter.log()}`);
      try {
        await exporter.scrape();
        return exporter;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await exporter.stop();
        throw new Error(`mysqld exporter did not answer within ${START_TIMEOUT_MS} ms:\n${exporter.log()}`);
      }
      await sleep(100);
    }
  }

  /** One scrape of /metrics: the exposition text. */
  async scrape(): Promise<string> {
    const res = await fetch(this.url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`mysqld exporter: HTTP ${res.status}: ${text.slice(0, 200)}`);
    return text;
  }

  log(): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'exporter.log'), 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Kills the exporter (nothing to save), waits for it (bounded) and removes its directory. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.exitInfo === undefined) {
      this.child.kill('SIGKILL');
      await Promise.race([this.exited, sleep(5_000)]);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
