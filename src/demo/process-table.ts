/**
 * What /proc says about a process: enough to be sure a pid is still the
 * process we started before signalling it (pids are reused, after a reboot
 * within minutes), and to wait for processes to be gone without a child
 * handle (a kept server belongs to init once the demo process has exited).
 * Linux only, like the rest of the demo.
 */
import * as fs from 'node:fs';

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or undefined when there is none. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The argument vector of a process, or [] when it is gone or unreadable. */
export function processArgv(pid: number): string[] {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((a) => a.length > 0);
  } catch {
    return [];
  }
}

/** Gone, or a zombie waiting for a parent that may be us (a zombie holds no files and no ports). */
export function isGone(pid: number): boolean {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return true;
  }
  const state = stat.charAt(stat.lastIndexOf(')') + 2);
  return state === 'Z' || state === 'X' || state === '';
}

/** Pids of processes one of whose arguments starts with `prefix` (never this process). */
export function pidsWithArgument(prefix: string): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    if (processArgv(pid).some((a) => a.startsWith(prefix)) && !isGone(pid)) out.push(pid);
  }
  return out;
}

/** Sends `signal`, ignoring a process that is already gone. A negative pid names a process group. */
export function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Blocks the thread: only for the places that cannot wait asynchronously
 * (a process 'exit' handler, a signal handler about to re-raise the signal).
 */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Waits, blocking, until every pid is gone or `boundMs` has passed; true when all are gone. */
export function waitGoneSync(pids: readonly number[], boundMs: number): boolean {
  const end = Date.now() + boundMs;
  for (;;) {
    if (pids.every(isGone)) return true;
    if (Date.now() >= end) return false;
    sleepSync(20);
  }
}

/** Waits until every pid is gone or `boundMs` has passed; true when all are gone. */
export async function waitGone(pids: readonly number[], boundMs: number): Promise<boolean> {
  const end = Date.now() + boundMs;
  for (;;) {
    if (pids.every(isGone)) return true;
    if (Date.now() >= end) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
