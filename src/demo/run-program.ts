/**
 * Runs a helper program (mariadb-install-db, apt-get, the project's own
 * executables for the walk) to completion with an argv array (never a shell)
 * and a bound: past it the program, and in `detached` mode its whole process
 * group, is killed.
 */
import { spawn } from 'node:child_process';
import { CheckError } from '../core/errors';
import { signalQuietly } from './process-table';

export interface RunOptions {
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  /**
   * Own process group: a Ctrl-C at the terminal then reaches only the demo,
   * whose teardown kills the group, including grandchildren (the bootstrap
   * mariadbd that mariadb-install-db starts).
   */
  detached?: boolean;
  /** Called with the pid as soon as the program runs, so a teardown can kill it. */
  onSpawn?: (pid: number) => void;
  /** Every chunk the program writes to stdout or stderr. */
  onOutput?: (text: string) => void;
  /** Written to its stdin, which is then closed (without it, stdin is /dev/null). */
  input?: string;
}

export interface RunResult {
  /** Exit status, or undefined when a signal ended it. */
  status: number | undefined;
  signal: NodeJS.Signals | undefined;
  timedOut: boolean;
  /** The last few kilobytes of its output, for an error message. */
  outputTail: string;
  /** What it wrote to stdout and to stderr, each up to OWN_OUTPUT_CHARS (the walk reads answers here). */
  stdout: string;
  stderr: string;
}

const TAIL_CHARS = 4000;
const OWN_OUTPUT_CHARS = 64 * 1024;

export function runProgram(file: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      env: opts.env ?? process.env,
      detached: opts.detached === true,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let tail = '';
    const own = { stdout: '', stderr: '' };
    let timedOut = false;
    const collect =
      (stream: 'stdout' | 'stderr') =>
      (chunk: Buffer): void => {
        const text = chunk.toString('utf8');
        tail = (tail + text).slice(-TAIL_CHARS);
        if (own[stream].length < OWN_OUTPUT_CHARS) own[stream] = (own[stream] + text).slice(0, OWN_OUTPUT_CHARS);
        opts.onOutput?.(text);
      };
    child.stdout?.on('data', collect('stdout'));
    child.stderr?.on('data', collect('stderr'));
    if (child.stdin !== null) {
      // A program that exits without reading its input must not crash us with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
    const pid = child.pid;
    if (pid !== undefined) opts.onSpawn?.(pid);
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) signalQuietly(opts.detached === true ? -pid : pid, 'SIGKILL');
    }, opts.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new CheckError('INTERNAL', `could not run ${file}: ${err.message}`, { cause: err }));
    });
    const settle = (status: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      resolve({ status: status ?? undefined, signal: signal ?? undefined, timedOut, outputTail: tail, ...own });
    };
    child.once('close', settle);
    // A grandchild that inherited stdout would hold 'close' back for as long
    // as it lives: after the program itself exits, its output gets a second.
    child.once('exit', (status, signal) => {
      setTimeout(() => settle(status, signal), 1000).unref();
    });
  });
}

/** "exited with status 1", "was killed after 60 s", ... for messages. */
export function describeRun(r: RunResult, timeoutMs: number): string {
  if (r.timedOut) return `did not finish within ${Math.round(timeoutMs / 1000)} s and was killed`;
  if (r.signal !== undefined) return `was killed by ${r.signal}`;
  return `exited with status ${r.status}`;
}
