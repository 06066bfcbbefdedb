/**
 * `mysql-failover-check serve` as a process, the way systemd runs it: started
 * with a clean environment, ready once it has printed where it listens,
 * stopped with a signal. Registered in the run directory, so a failing test
 * never leaves it running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { binPath, cleanEnv } from './run-bin';
import { registerPid } from './run-dir';

const READY_TIMEOUT_MS = 20_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ServeProcess {
  stdout = '';
  stderr = '';
  private readonly exited: Promise<Exit>;

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => (this.stdout += d));
    child.stderr?.on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  }

  /** Starts `serve` with `args`; resolves once every listener is announced (or rejects with what it printed). */
  static async start(args: readonly string[], listeners: number): Promise<ServeProcess> {
    const child = spawn(binPath('mysql-failover-check'), ['serve', ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) registerPid(child.pid, 'mysql-failover-check-serve');
    const p = new ServeProcess(child);
    const end = Date.now() + READY_TIMEOUT_MS;
    let exit: Exit | undefined;
    void p.exited.then((e) => (exit = e));
    while ((p.stdout.match(/ on /g) ?? []).length < listeners) {
      if (exit !== undefined || Date.now() > end) {
        p.kill();
        throw new Error(
          `serve did not start (${JSON.stringify(exit)}): stdout ${JSON.stringify(p.stdout)} stderr ${JSON.stringify(p.stderr)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    return p;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends `signal` and waits (bounded) for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<Exit & { ms: number }> {
    const t0 = Date.now();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      this.exited,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (result === undefined) {
      this.kill();
      throw new Error(`serve did not exit within ${timeoutMs} ms after ${signal}`);
    }
    return { ...result, ms: Date.now() - t0 };
  }

  kill(): void {
    try {
      this.child.kill('SIGKILL');
    } catch {
      // gone
    }
  }
}
