/**
 * A real Prometheus server (the Debian package) for end-to-end tests: started
 * as a child of the test on 127.0.0.1 (a free port), with a temporary
 * storage directory and a configuration generated here (scrape and rule
 * evaluation every second, no remote write or read, no admin or lifecycle
 * API), and its HTTP API to query. `stop()` (call it from `after()`) kills
 * it and removes its directory; its pid is registered so that scripts/test.js
 * kills it too if the test process dies, and an exit hook here is the last
 * resort.
 *
 *     let prom: Prometheus;
 *     before(async () => { prom = await Prometheus.start({ jobs: [{ name: 'x', targets: ['127.0.0.1:1234'] }] }); });
 *     after(() => prom?.stop());
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findExecutable, freePort, makeTempDir, registerPid } from './run-dir';

export function prometheusPath(): string {
  const p = findExecutable('prometheus');
  if (!p) {
    throw new Error('prometheus not found; install it with: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y prometheus');
  }
  return p;
}

export interface ScrapeJob {
  name: string;
  /** HOST:PORT on 127.0.0.1. */
  targets: string[];
  /** Target labels (e.g. pair, node). */
  labels?: Record<string, string>;
  metricsPath?: string;
}

export interface PrometheusOptions {
  jobs: ScrapeJob[];
  /** Absolute paths of rule files to load (evaluated every second). */
  ruleFiles?: string[];
}

/** One element of an instant vector, as the HTTP API returns it: the value is text ("1", "NaN", "+Inf"). */
export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** One rule of GET /api/v1/rules. */
export interface RuleStatus {
  name: string;
  type: string;
  health: string;
  lastError?: string;
  state?: string;
}

/** Each HTTP request to the server is bounded by this. */
const REQUEST_TIMEOUT_MS = 5_000;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const live = new Set<Prometheus>();
let exitHookInstalled = false;

/** The configuration as JSON, which is YAML too: no quoting rules of our own to get wrong. */
function configText(opts: PrometheusOptions): string {
  return JSON.stringify(
    {
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: opts.ruleFiles ?? [],
      scrape_configs: opts.jobs.map((j) => ({
        job_name: j.name,
        metrics_path: j.metricsPath ?? '/metrics',
        static_configs: [{ targets: j.targets, labels: j.labels ?? {} }],
      })),
    },
    null,
    2,
  );
}

export class Prometheus {
  readonly dir: string;
  readonly port: number;
  readonly url: string;
  private readonly child: ChildProcess;
  private exitInfo: string | undefined;
  private readonly exited: Promise<void>;
  private stopping: Promise<void> | undefined;

  private constructor(dir: string, port: number, child: ChildProcess) {
    this.dir = dir;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
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

  /** Writes the configuration, starts Prometheus and resolves once /-/ready answers 200. */
  static async start(opts: PrometheusOptions): Promise<Prometheus> {
    const binary = prometheusPath();
    const dir = makeTempDir('prom-');
    const configFile = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(configFile, configText(opts));
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const log = fs.openSync(path.join(dir, 'prometheus.log'), 'a');
      const child = spawn(
        binary,
        [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${path.join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          // Debian's defaults point at /etc/prometheus; nothing of the host's is wanted here.
          `--web.console.templates=${path.join(dir, 'consoles')}`,
          `--web.console.libraries=${path.join(dir, 'console_libraries')}`,
          '--storage.tsdb.retention.time=1h',
          '--log.level=info',
        ],
        { stdio: ['ignore', log, log], cwd: dir, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } },
      );
      fs.closeSync(log);
      if (child.pid !== undefined) registerPid(child.pid, 'prometheus');
      const prom = new Prometheus(dir, port, child);
      live.add(prom);
      if (!exitHookInstalled) {
        exitHookInstalled = true;
        process.once('exit', () => {
          for (const p of live) p.killSync();
        });
      }
      try {
        await prom.waitReady();
        return prom;
      } catch (e) {
        const bindFailed = /address already in use/i.test(prom.log());
        await prom.stop(false);
        if (!bindFailed || attempt >= 3) {
          fs.rmSync(dir, { recursive: true, force: true });
          throw e;
        }
        fs.appendFileSync(path.join(dir, 'prometheus.log'), `\n--- harness: port ${port} was taken, retrying\n`);
      }
    }
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (this.exitInfo !== undefined) throw new Error(`prometheus ${this.exitInfo} while starting:\n${this.log()}`);
      try {
        const res = await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`prometheus was not ready within ${START_TIMEOUT_MS} ms:\n${this.log()}`);
      await sleep(100);
    }
  }

  /** The last lines of Prometheus's own log, for failure messages. */
  log(lines = 40): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'prometheus.log'), 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** GET an API path; returns `data` of a successful answer, throws with Prometheus's error otherwise. */
  async api<T>(pathAndQuery: string): Promise<T> {
    const res = await fetch(`${this.url}${pathAndQuery}`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const body = (await res.json()) as { status: string; data?: T; error?: string; errorType?: string };
    if (res.status !== 200 || body.status !== 'success') {
      throw new Error(`prometheus ${pathAndQuery}: HTTP ${res.status} ${body.errorType ?? ''} ${body.error ?? ''}`);
    }
    return body.data as T;
  }

  /** An instant query at the current time; the result of an expression that selects nothing is []. */
  async query(expr: string): Promise<VectorSample[]> {
    const data = await this.api<{ resultType: string; result: VectorSample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
    if (data.resultType !== 'vector') throw new Error(`${expr}: expected a vector, got ${data.resultType}`);
    return data.result;
  }

  /**
   * Runs the instant query every 200 ms until `accept` says yes; returns that
   * result, or throws with the last result (and Prometheus's log) after timeoutMs.
   */
  async waitForQuery(
    what: string,
    expr: string,
    accept: (result: VectorSample[]) => boolean,
    timeoutMs = 30_000,
  ): Promise<VectorSample[]> {
    const deadline = Date.now() + timeoutMs;
    let last: VectorSample[] | string = 'no answer yet';
    for (;;) {
      try {
        const result = await this.query(expr);
        if (accept(result)) return result;
        last = result;
      } catch (e) {
        last = String(e);
      }
      if (Date.now() > deadline) {
        throw new Error(`${what}: not within ${timeoutMs} ms; last answer to ${expr}: ${JSON.stringify(last)}\n${this.log(15)}`);
      }
      await sleep(200);
    }
  }

  /** Every rule of every group loaded, with its health after the last evaluation. */
  async rules(): Promise<RuleStatus[]> {
    const data = await this.api<{ groups: Array<{ rules: RuleStatus[] }> }>('/api/v1/rules');
    return data.groups.flatMap((g) => g.rules);
  }

  /** The active scrape targets with their health and last error. */
  async targets(): Promise<Array<{ labels: Record<string, string>; health: string; lastError: string }>> {
    const data = await this.api<{ activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }> }>(
      '/api/v1/targets?state=active',
    );
    return data.activeTargets;
  }

  /** Stops Prometheus (SIGTERM, then SIGKILL after STOP_TIMEOUT_MS) and removes its directory. Safe to call twice. */
  stop(removeDir = true): Promise<void> {
    this.stopping ??= (async () => {
      if (this.exitInfo === undefined) {
        this.child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS)));
        const late = await Promise.race([this.exited.then(() => false), timedOut]);
        clearTimeout(timer);
        if (late) {
          this.child.kill('SIGKILL');
          await Promise.race([this.exited, sleep(STOP_TIMEOUT_MS)]);
        }
      }
      live.delete(this);
    })();
    return this.stopping.then(() => {
      if (removeDir) fs.rmSync(this.dir, { recursive: true, force: true });
    });
  }

  /** @internal Synchronous last resort (process 'exit' handler). */
  killSync(): void {
    if (this.exitInfo !== undefined) return;
    try {
      this.child.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
}
