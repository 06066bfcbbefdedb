/**
 * What the tests of the demo (its pair, its walk) share: a child process
 * whose output is watched line by line, so a test can act at a given moment
 * (send SIGINT once step 3 has begun) and read everything it printed; and
 * the judgement of "nothing left behind", made independently of the demo's
 * own /proc code: pgrep -f for any process whose command line names a
 * directory, and the directory's contents.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { registerPid } from './run-dir';

/** Pids of live processes whose command line mentions `text` (pgrep -f; zombies have no command line). */
export function processesNaming(text: string): number[] {
  const r = spawnSync('pgrep', ['-f', '--', text.replace(/[.[\]()*+?^$|\\]/g, '\\$&')], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

/** No process names `parentDir`, and it is empty. */
export function assertNothingLeft(parentDir: string): void {
  assert.deepEqual(processesNaming(parentDir), [], `processes naming ${parentDir} survived`);
  assert.deepEqual(fs.readdirSync(parentDir), [], `${parentDir} is not empty`);
}

export interface WatchedProcess {
  child: ChildProcess;
  /** Every complete stdout line so far. */
  lines: string[];
  stderr: () => string;
  /** The first line matching `re`, now or later; rejects after `timeoutMs` or when the process ends first. */
  waitLine: (re: RegExp, timeoutMs?: number) => Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface WatchOptions {
  /** Registered with the run directory, so scripts/test.js kills it should the test die. */
  label: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Starts `file` (never through a shell) and watches its stdout line by line. */
export function startWatched(file: string, args: readonly string[], opts: WatchOptions): WatchedProcess {
  const child = spawn(file, [...args], { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd });
  if (child.pid !== undefined) registerPid(child.pid, opts.label);
  const lines: string[] = [];
  let err = '';
  let partial = '';
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  child.stdout.on('data', (d: Buffer) => {
    partial += d.toString('utf8');
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.re.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      if (partial !== '') lines.push(partial);
      resolve({ code, signal });
    }),
  );
  const waitLine = (re: RegExp, timeoutMs = 60_000): Promise<string> => {
    const seen = lines.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${opts.label}: no line ${re} within ${timeoutMs} ms; got:\n${lines.join('\n')}\n${err}`)),
        timeoutMs,
      );
      waiters.push({ re, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${opts.label} exited before ${re}; got:\n${lines.join('\n')}\n${err}`));
      });
    });
  };
  return { child, lines, stderr: () => err, waitLine, exited };
}

/** `p`, or a rejection naming `what` after `ms`. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
