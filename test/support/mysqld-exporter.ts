/**
 * Debian's prometheus-mysqld-exporter (prometheus/mysqld_exporter 0.14) as a
 * plain process on 127.0.0.1 (a free port) for side-by-side measurements:
 * credentials in a [client] option file of mode 0600 given with
 * --config.my-cnf, never in argv; an environment holding only PATH, so a
 * DATA_SOURCE_NAME of the caller's cannot override that file; the
 * replica-status collector enabled (test/support/background-process.ts
 * keeps the environment to PATH). `stop()` (call it from `after()`) kills it
 * and removes its directory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BackgroundProcess } from './background-process';
import { findExecutable, freePort, makeTempDir } from './run-dir';

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
  private readonly process: BackgroundProcess;

  private constructor(dir: string, port: number, argv: readonly string[], process: BackgroundProcess) {
    this.dir = dir;
    this.url = `http://127.0.0.1:${port}/metrics`;
    this.argv = argv;
    this.process = process;
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
    const logFile = path.join(dir, 'exporter.log');
    const exporter = new MysqldExporter(
      dir,
      port,
      argv,
      BackgroundProcess.spawn(binary, argv, { cwd: dir, logFile, label: 'mysqld-exporter' }),
    );
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const exit = exporter.process.exitDescription;
      if (exit !== undefined) throw new Error(`mysqld exporter ${exit} while starting:\n${exporter.log()}`);
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
    return this.process.log(30);
  }

  /** Kills the exporter (nothing to save) and removes its directory. Safe to call twice. */
  async stop(): Promise<void> {
    await this.process.stop(0);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
