/**
 * The failover state file (--state-file): read without a lock (atomic
 * renames guarantee a whole file), updated under a lock file next to it so
 * that concurrent probes and `recover` lose no update. Every failure is a
 * CheckError with a STATE_* code; the caller decides what it answers.
 * docs/failover-state.md describes the format and the locking protocol.
 */
import * as fs from 'node:fs';
import { decodeState, encodeState } from '../io/state-format';
import type { FailoverState } from '../core/failover-state';
import { Deadline } from '../core/deadline';
import { CheckError, isCheckError } from '../core/errors';
import { writeFileAtomic } from './atomic-file';
import { errnoCode } from './errno';
import { acquireLock } from './file-lock';

/** A state file is a few hundred bytes; anything this large is not one. */
export const STATE_FILE_MAX_BYTES = 64 * 1024;

/**
 * What a read found. `unusable`: the file exists but its state cannot be
 * used (STATE_UNREADABLE, STATE_CORRUPT, or STATE_IDENTITY for a file
 * written for another node).
 */
export type StoredState = { kind: 'missing' } | { kind: 'ok'; state: FailoverState } | { kind: 'unusable'; error: CheckError };

export interface WriteOutcome {
  /** false when the state was unchanged: nothing written. */
  written: boolean;
  /** Where the unusable file that was replaced was kept (PATH.corrupt-TIME). */
  keptCopy: string | undefined;
}

export interface StateTxn {
  read(): StoredState;
  /** Writes atomically if the text changed; a replaced unusable file is kept as a copy first. */
  write(state: FailoverState): WriteOutcome;
}

export function lockPathOf(path: string): string {
  return `${path}.lock`;
}

/** Reads without a lock; undefined when there is no file. Throws the unusable error. */
export function readState(path: string, identity?: string): FailoverState | undefined {
  const stored = loadState(path, identity);
  if (stored.kind === 'unusable') throw stored.error;
  return stored.kind === 'ok' ? stored.state : undefined;
}

/** Reads without a lock, never throwing. `identity` undefined: any node's file is accepted. */
export function loadState(path: string, identity?: string): StoredState {
  return load(path, identity).stored;
}

/**
 * Takes the lock (waiting until the deadline: STATE_BUSY), runs `fn`, and
 * releases the lock on every path. `fn` may do async work while holding it
 * (the heartbeat stamp); if it is still running at the deadline the lock is
 * released, `txn` refuses further writes and this rejects with TIMEOUT.
 */
export async function withStateLock<T>(path: string, identity: string, deadline: Deadline, fn: (txn: StateTxn) => Promise<T>): Promise<T> {
  const lock = await acquireLock(lockPathOf(path), deadline);
  let open = true;
  let loaded: Loaded | undefined;
  const current = (): Loaded => (loaded ??= load(path, identity));
  const txn: StateTxn = {
    read: () => current().stored,
    write: (state) => {
      if (!open) throw new CheckError('TIMEOUT', `state file ${path}: written after its lock was released at the deadline`);
      const before = current();
      const text = encodeState(state, identity);
      if (before.text === text) return { written: false, keptCopy: undefined };
      // Never replace an unusable file silently: it may hold a latch.
      const keptCopy = before.stored.kind === 'unusable' ? keepCopy(path) : undefined;
      if (!lock.stillHeld()) {
        throw new CheckError('STATE_BUSY', `state file ${path}: lock ${lock.path} was taken over (held past its bound)`);
      }
      writeFileAtomic(path, text);
      loaded = { stored: { kind: 'ok', state }, text };
      return { written: true, keptCopy };
    },
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const work = fn(txn);
    // A late failure after the deadline must not become an unhandled rejection.
    work.catch(() => undefined);
    const overrun = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CheckError('TIMEOUT', `state file ${path}: lock held past the deadline`)), deadline.remaining());
    });
    return await Promise.race([work, overrun]);
  } finally {
    clearTimeout(timer);
    open = false;
    lock.release();
  }
}

/**
 * Lock, read, `fn` (synchronous), write if `next` is defined and changed,
 * unlock. `fn` gets the unusable marker rather than an exception, so that it
 * can decide (manual failback: keep DOWN and write nothing; auto or
 * `recover --force`: start fresh, which keeps a copy of the old file).
 */
export async function updateState<T>(
  path: string,
  identity: string,
  deadline: Deadline,
  fn: (stored: StoredState) => { next: FailoverState | undefined; result: T },
): Promise<{ result: T } & WriteOutcome> {
  return withStateLock(path, identity, deadline, async (txn) => {
    const { next, result } = fn(txn.read());
    const outcome: WriteOutcome = next === undefined ? { written: false, keptCopy: undefined } : txn.write(next);
    return { result, ...outcome };
  });
}

interface Loaded {
  stored: StoredState;
  /** The file's text when it was read whole, to skip rewriting the same. */
  text: string | undefined;
}

function load(path: string, identity: string | undefined): Loaded {
  const unusable = (code: 'STATE_UNREADABLE' | 'STATE_CORRUPT' | 'STATE_IDENTITY', message: string, cause?: unknown): Loaded => ({
    stored: { kind: 'unusable', error: new CheckError(code, `state file ${path}: ${message}`, { cause }) },
    text: undefined,
  });
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return { stored: { kind: 'missing' }, text: undefined };
    return unusable('STATE_UNREADABLE', `cannot open: ${errnoCode(e) ?? String(e)}`, e);
  }
  let text: string;
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) return unusable('STATE_UNREADABLE', 'not a regular file');
    if (stat.size > STATE_FILE_MAX_BYTES) return unusable('STATE_CORRUPT', `${stat.size} bytes, more than a state file ever has`);
    text = fs.readFileSync(fd, 'utf8');
  } catch (e) {
    return unusable('STATE_UNREADABLE', `cannot read: ${errnoCode(e) ?? String(e)}`, e);
  } finally {
    fs.closeSync(fd);
  }
  let decoded;
  try {
    decoded = decodeState(text);
  } catch (e) {
    if (isCheckError(e) && e.code === 'STATE_CORRUPT') return unusable('STATE_CORRUPT', e.message, e);
    throw e;
  }
  if (identity !== undefined && decoded.identity !== identity) {
    return unusable('STATE_IDENTITY', `written for ${JSON.stringify(decoded.identity)}, not for ${JSON.stringify(identity)}`);
  }
  return { stored: { kind: 'ok', state: decoded.state }, text };
}

/** Keeps the unusable file as PATH.corrupt-TIME before it is replaced; refuses to replace it otherwise. */
function keepCopy(path: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '');
  const base = `${path}.corrupt-${stamp}`;
  let lastError: unknown;
  for (const copy of [base, `${base}-${process.pid}`]) {
    try {
      // A hard link keeps the bytes even of a file we may not read.
      fs.linkSync(path, copy);
      return copy;
    } catch (e) {
      lastError = e;
      if (errnoCode(e) === 'EEXIST') continue;
      try {
        fs.copyFileSync(path, copy, fs.constants.COPYFILE_EXCL);
        return copy;
      } catch (e2) {
        lastError = e2;
        if (errnoCode(e2) !== 'EEXIST') break;
      }
    }
  }
  throw new CheckError(
    'STATE_UNWRITABLE',
    `state file ${path}: cannot keep a copy of the unusable file before replacing it: ${errnoCode(lastError) ?? String(lastError)}`,
    { cause: lastError },
  );
}

/** How long recording a hook run may wait for the lock: a probe holds it for at most one check. */
const RECORD_LOCK_MS = 5_000;

/**
 * Records a hook run as the state's last one (`status` shows it). Best
 * effort and bounded: the run is in the log file whatever happens here, and
 * a state file that is missing or unusable is left as it is.
 */
export async function recordHookRun(
  path: string,
  identity: string,
  run: {
    command: string;
    event: string;
    exitCode: number | null;
    signal: string | null;
    timedOut: boolean;
    error?: string;
    durationMs: number;
  },
  at: number = Date.now(),
): Promise<void> {
  const exit =
    run.error !== undefined
      ? `error ${run.error}`
      : run.timedOut
        ? 'timeout'
        : run.exitCode !== null
          ? String(run.exitCode)
          : (run.signal ?? 'unknown');
  try {
    await withStateLock(path, identity, new Deadline(Date.now() + RECORD_LOCK_MS), async (txn) => {
      const stored = txn.read();
      if (stored.kind !== 'ok') return;
      txn.write({ ...stored.state, hook: { event: run.event, command: run.command, exit, at, durationMs: run.durationMs } });
    });
  } catch {
    // The log line already tells; the state file is for status only.
  }
}
