/**
 * A lock file serialising the read-modify-write of a file between processes
 * (concurrent probes from two HAProxies through xinetd, `recover`, serve).
 * Created with O_CREAT|O_EXCL, it names its holder (pid and process start
 * time, so a reused pid is not mistaken for the holder) and the time by
 * which the holder releases it. Waiters poll with a short backoff until
 * their deadline. Node has no flock(), and a kernel lock would also not say
 * who holds it; docs/failover-state.md describes the protocol and its bounds.
 */
import * as fs from 'node:fs';
import type { Deadline } from '../core/deadline';
import { CheckError } from '../core/errors';
import { errnoCode } from './errno';
import { isoUtc } from '../core/utc-time';

/** Slack past a holder's promised release, for timers late under load. */
export const LOCK_GRACE_MS = 2_000;
/** No holder keeps the lock longer than this: the longest --timeout a check accepts. */
export const MAX_LOCK_HOLD_MS = 3_600_000;

const FIRST_BACKOFF_MS = 2;
const MAX_BACKOFF_MS = 50;
const MAX_LOCK_FILE_BYTES = 512;

export interface Holder {
  pid: number;
  /** Start time of the process in clock ticks since boot (/proc/PID/stat field 22); undefined off Linux. */
  start: string | undefined;
  acquired: number;
  until: number;
}

export interface HeldLock {
  readonly path: string;
  /** The lock file is still this holder's (nobody judged it stale and broke it). */
  stillHeld(): boolean;
  /** Removes the lock file if it is still this holder's; idempotent, never throws. */
  release(): void;
}

export async function acquireLock(path: string, deadline: Deadline): Promise<HeldLock> {
  let backoff = FIRST_BACKOFF_MS;
  for (;;) {
    const held = tryCreate(path, deadline);
    if (held !== undefined) return held;
    // Retry at once after breaking a stale lock, but never past the deadline.
    if (breakIfStale(path, Date.now()) && !deadline.expired()) continue;
    const remaining = deadline.remaining();
    if (remaining <= 0) {
      const seen = readLock(path);
      const holder = typeof seen === 'object' ? parseHolder(seen.content) : undefined;
      const who = holder === undefined ? '' : ` by pid ${holder.pid} since ${isoUtc(holder.acquired)}`;
      throw new CheckError('STATE_BUSY', `lock ${path} held${who} until the deadline`);
    }
    // Jitter keeps waiters that started together from retrying in step.
    await sleep(Math.min(remaining, backoff * (0.5 + Math.random())));
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
}

function tryCreate(path: string, deadline: Deadline): HeldLock | undefined {
  let fd: number;
  try {
    // World-readable: any waiter, whoever it runs as, must be able to judge the holder.
    fd = fs.openSync(path, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o644);
  } catch (e) {
    if (errnoCode(e) === 'EEXIST') return undefined;
    throw new CheckError('STATE_UNWRITABLE', `cannot create lock ${path}: ${errnoCode(e) ?? String(e)}`, { cause: e });
  }
  const now = Date.now();
  const content = formatHolder({
    pid: process.pid,
    start: ownStart(),
    acquired: now,
    until: Math.min(deadline.at, now + MAX_LOCK_HOLD_MS),
  });
  try {
    // The umask must not narrow it (see above).
    fs.fchmodSync(fd, 0o644);
    fs.writeFileSync(fd, content);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(path, { force: true });
    throw new CheckError('STATE_UNWRITABLE', `cannot write lock ${path}: ${errnoCode(e) ?? String(e)}`, { cause: e });
  }
  fs.closeSync(fd);
  // By content, not inode: a lock broken and taken anew may get the freed inode back.
  const ours = (): boolean => {
    const seen = readLock(path);
    return typeof seen === 'object' && seen.content === content;
  };
  let released = false;
  return {
    path,
    stillHeld: ours,
    release: () => {
      if (released) return;
      released = true;
      try {
        if (ours()) fs.unlinkSync(path);
      } catch {
        /* gone already: nothing to release */
      }
    },
  };
}

export function formatHolder(h: Holder): string {
  return `pid=${h.pid} start=${h.start ?? '?'} acquired=${isoUtc(h.acquired)} until=${isoUtc(h.until)}\n`;
}

export function parseHolder(content: string): Holder | undefined {
  const m = /^pid=(\d+) start=(\d+|\?) acquired=(\S+) until=(\S+)\n$/.exec(content);
  if (m === null) return undefined;
  const acquired = Date.parse(m[3] ?? '');
  const until = Date.parse(m[4] ?? '');
  if (Number.isNaN(acquired) || Number.isNaN(until)) return undefined;
  return { pid: Number(m[1]), start: m[2] === '?' ? undefined : m[2], acquired, until };
}

/**
 * Whether a lock can no longer be waited for: its holder is gone (or the
 * pid was reused), past its promised release, or older than any holder may
 * keep a lock. A lock without a holder line is being written, or its writer
 * died between create and write: stale once older than the grace. One that
 * cannot be read at all is judged by its age alone.
 */
export function isStale(holder: Holder | 'unreadable' | undefined, mtimeMs: number, now: number): boolean {
  if (holder === 'unreadable') return now - mtimeMs > MAX_LOCK_HOLD_MS + LOCK_GRACE_MS;
  if (holder === undefined) return now - mtimeMs > LOCK_GRACE_MS;
  if (now > holder.until + LOCK_GRACE_MS) return true;
  if (now - holder.acquired > MAX_LOCK_HOLD_MS + LOCK_GRACE_MS) return true;
  return !isAlive(holder);
}

/**
 * Removes a stale lock. A rename, not an unlink: if another waiter broke
 * it and took a new lock between our look and our move, the moved file is
 * not the one judged, and it is put back (unless yet another lock appeared:
 * then the holder we moved sees its lock gone and does not commit).
 * Returns true when the caller should retry at once.
 */
function breakIfStale(path: string, now: number): boolean {
  const seen = readLock(path);
  if (seen === 'missing') return true;
  const holder = seen === 'unreadable' ? 'unreadable' : parseHolder(seen.content);
  const mtimeMs = seen === 'unreadable' ? (statOrUndefined(path)?.mtimeMs ?? now) : seen.mtimeMs;
  if (!isStale(holder, mtimeMs, now)) return false;
  const grave = `${path}.stale-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    fs.renameSync(path, grave);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return true; // someone else broke it
    throw new CheckError('STATE_UNWRITABLE', `cannot remove stale lock ${path}: ${errnoCode(e) ?? String(e)}`, { cause: e });
  }
  const moved = readLock(grave);
  if (seen !== 'unreadable' && !(typeof moved === 'object' && moved.content === seen.content)) {
    try {
      fs.linkSync(grave, path);
    } catch {
      /* a newer lock exists: see above */
    }
  }
  fs.rmSync(grave, { force: true });
  return true;
}

function readLock(path: string): { content: string; mtimeMs: number } | 'missing' | 'unreadable' {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    return errnoCode(e) === 'ENOENT' ? 'missing' : 'unreadable';
  }
  try {
    const buf = Buffer.alloc(MAX_LOCK_FILE_BYTES);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return { content: buf.subarray(0, n).toString('utf8'), mtimeMs: fs.fstatSync(fd).mtimeMs };
  } catch {
    return 'unreadable';
  } finally {
    fs.closeSync(fd);
  }
}

function isAlive(h: Holder): boolean {
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    // EPERM: alive, another user's process.
    if (errnoCode(e) === 'ESRCH') return false;
  }
  if (h.start === undefined) return true;
  const start = processStart(h.pid);
  return start === undefined || start === h.start;
}

let ownStartTicks: string | undefined | null = null;

function ownStart(): string | undefined {
  if (ownStartTicks === null) ownStartTicks = processStart(process.pid);
  return ownStartTicks;
}

/** Start time in clock ticks since boot: together with the pid, names one process for good. */
function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function statOrUndefined(path: string): fs.Stats | undefined {
  try {
    return fs.statSync(path);
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
