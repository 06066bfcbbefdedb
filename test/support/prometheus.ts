/**
 * A real Prometheus server (the Debian package) for end-to-end tests: started
 * as a child of the test on 127.0.0.1 (a free port), with a temporary
 * storage directory and a configuration generated here (scrape every second
 * unless told otherwise, rule evaluation every second, no remote write or
 * read, no admin or lifecycle API), and its HTTP API to query. `stop()` (call it from `after()`) stops
 * it and removes its directory; test/support/background-process.ts registers
 * its pid and kills it at exit if nothing else did.
 *
 *     let prom: Prometheus;
 *     before(async () => { prom = await Prometheus.start({ jobs: [{ name: 'x', targets: ['127.0.0.1:1234'] }] }); });
 *     after(() => prom?.stop());
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BackgroundProcess } from './background-process';
import { findExecutable, freePort, makeTempDir } from './run-dir';

export function prometheusPath(): string {
  const p = findExecutable('prometheus');
  if (!p) {
    throw new Error(
      'prometheus not found; install it with: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y prometheus',
    );
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
  /**
   * Scrape interval and timeout (default 1s each). Prometheus refuses a
   * timeout longer than the interval: a scrape of serve with a frozen
   * server takes up to its --timeout, so raise both for such a test.
   */
  scrapeInterval?: string;
  scrapeTimeout?: string;
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
/** SIGTERM lets it close its storage; SIGKILL after this. */
const STOP_GRACE_MS = 10_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The configuration as JSON, which is YAML too: no quoting rules of our own to get wrong. */
function configText(opts: PrometheusOptions): string {
  return JSON.stringify(
    {
      global: {
        scrape_interval: opts.scrapeInterval ?? '1s',
        scrape_timeout: opts.scrapeTimeout ?? opts.scrapeInterval ?? '1s',
        evaluation_interval: '1s',
      },
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
  private readonly process: BackgroundProcess;

  private constructor(dir: string, port: number, process: BackgroundProcess) {
    this.dir = dir;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.process = process;
  }

  /** Writes the configuration, starts Prometheus and resolves once /-/ready answers 200. */
  static async start(opts: PrometheusOptions): Promise<Prometheus> {
    const binary = prometheusPath();
    const dir = makeTempDir('prom-');
    const configFile = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(configFile, configText(opts));
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const argv = [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // Debian's defaults point at /etc/prometheus; nothing of the host's is wanted here.
        `--web.console.templates=${path.join(dir, 'consoles')}`,
        `--web.console.libraries=${path.join(dir, 'console_libraries')}`,
        '--storage.tsdb.retention.time=1h',
      ];
      const logFile = path.join(dir, 'prometheus.log');
      const prom = new Prometheus(dir, port, BackgroundProcess.spawn(binary, argv, { cwd: dir, logFile, label: 'prometheus' }));
      try {
        await prom.waitReady();
        return prom;
      } catch (e) {
        const bindFailed = /address already in use/i.test(prom.log());
        await prom.process.stop(0);
        if (!bindFailed || attempt >= 3) {
          fs.rmSync(dir, { recursive: true, force: true });
          throw e;
        }
        fs.appendFileSync(logFile, `\n--- harness: port ${port} was taken, retrying\n`);
      }
    }
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const exit = this.process.exitDescription;
      if (exit !== undefined) throw new Error(`prometheus ${exit} while starting:\n${this.log()}`);
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
    return this.process.log(lines);
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
  async waitForQuery(what: string, expr: string, accept: (result: VectorSample[]) => boolean, timeoutMs = 30_000): Promise<VectorSample[]> {
    const deadline = Date.now() + timeoutMs;
    let last: VectorSample[] | string;
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

  /** Stops Prometheus (SIGTERM, SIGKILL if it lingers) and removes its directory. Safe to call twice. */
  async stop(): Promise<void> {
    await this.process.stop(STOP_GRACE_MS);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
