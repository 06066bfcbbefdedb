/**
 * A server a test starts as its child (Prometheus, an exporter): stdout and
 * stderr into a log file, the pid registered with the run directory (so
 * scripts/test.js kills it if the test process dies), exit tracking, and a
 * bounded stop. A process 'exit' hook SIGKILLs whatever was never stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { registerPid } from './run-dir';

const live = new Set<BackgroundProcess>();
let exitHookInstalled = false;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class BackgroundProcess {
  readonly logFile: string;
  private readonly child: ChildProcess;
  private exitInfo: string | undefined;
  private readonly exited: Promise<void>;
  private stopping: Promise<void> | undefined;

  private constructor(child: ChildProcess, logFile: string) {
    this.child = child;
    this.logFile = logFile;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = signal ? `killed by ${signal}` : `exited with status ${code}`;
        live.delete(this);
        resolve();
      });
      child.once('error', (e) => {
        this.exitInfo = `failed to start: ${e.message}`;
        live.delete(this);
        resolve();
      });
    });
  }

  /** Starts `binary` with `argv` (never a shell) and an environment of PATH only. */
  static spawn(binary: string, argv: readonly string[], o: { cwd: string; logFile: string; label: string }): BackgroundProcess {
    const log = fs.openSync(o.logFile, 'a');
    const child = spawn(binary, [...argv], {
      stdio: ['ignore', log, log],
      cwd: o.cwd,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    });
    fs.closeSync(log);
    if (child.pid !== undefined) registerPid(child.pid, o.label);
    const p = new BackgroundProcess(child, o.logFile);
    live.add(p);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', () => {
        for (const q of live) q.killSync();
      });
    }
    return p;
  }

  /** How it ended, or undefined while it runs. */
  get exitDescription(): string | undefined {
    return this.exitInfo;
  }

  /** The last lines of its log, for failure messages. */
  log(lines = 40): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** SIGTERM (or SIGKILL at once with graceMs 0), SIGKILL after graceMs; waits, bounded. Safe to call twice. */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= (async () => {
      if (this.exitInfo !== undefined) return;
      if (graceMs > 0) {
        this.child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const late = await Promise.race([
          this.exited.then(() => false),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
        ]);
        clearTimeout(timer);
        if (!late) return;
      }
      this.child.kill('SIGKILL');
      await Promise.race([this.exited, sleep(10_000)]);
    })();
    return this.stopping;
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
