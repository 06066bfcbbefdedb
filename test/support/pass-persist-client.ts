/**
 * Plays snmpd's side of pass_persist against `mysql-failover-snmp --persist`
 * run as a child process over pipes, with the clean environment snmpd gives
 * its children: one request written, one whole answer read (one line, or
 * three for a varbind), each read bounded.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { binPath, cleanEnv } from './run-bin';
import { registerPid } from './run-dir';

/** Answers that are a single line; anything else is OID, type and value. */
const ONE_LINE = new Set(['PONG', 'NONE', 'not-writable']);

export class PersistClient {
  readonly child: ChildProcessWithoutNullStreams;
  private buffered = '';
  private stderrText = '';
  private waiting: (() => void) | undefined;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: readonly string[]) {
    this.child = spawn(binPath('mysql-failover-snmp'), ['--persist', ...args], { env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    if (this.child.pid !== undefined) registerPid(this.child.pid, 'mysql-failover-snmp-persist');
    this.child.stdout.setEncoding('latin1');
    this.child.stdout.on('data', (d: string) => {
      this.buffered += d;
      this.waiting?.();
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderrText += d.toString('utf8')));
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => this.child.once('close', (code, signal) => resolve({ code, signal })));
    void this.exited.then(() => this.waiting?.());
  }

  /** Everything the process wrote to stderr so far (must stay empty). */
  get stderr(): string {
    return this.stderrText;
  }

  /** Whatever arrived on stdout and was not read as an answer. */
  get unread(): string {
    return this.buffered;
  }

  send(text: string): void {
    this.child.stdin.write(text);
  }

  /** Reads one answer: its lines. Rejects when none arrives within timeoutMs or the process ends first. */
  async answer(timeoutMs = 10_000): Promise<string[]> {
    const first = await this.line(timeoutMs);
    if (ONE_LINE.has(first)) return [first];
    return [first, await this.line(timeoutMs), await this.line(timeoutMs)];
  }

  /** Sends a request and reads its answer. */
  async ask(request: string, timeoutMs?: number): Promise<string[]> {
    this.send(request);
    return this.answer(timeoutMs);
  }

  /** EOF on the process's stdin, as when snmpd closes the pipe; resolves with the exit. */
  async close(timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private async line(timeoutMs: number): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const nl = this.buffered.indexOf('\n');
      if (nl !== -1) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        return line;
      }
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`the process ended (${this.child.exitCode ?? this.child.signalCode}) before answering; stderr: ${this.stderrText}`);
      }
      const left = until - Date.now();
      if (left <= 0) throw new Error(`no answer within ${timeoutMs} ms; unread: ${JSON.stringify(this.buffered)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiting = undefined;
    }
  }
}
