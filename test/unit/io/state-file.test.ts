import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freshState, type FailoverState } from '../../../src/core/failover-state';
import { encodeState } from '../../../src/io/state-format';
import { Deadline } from '../../../src/core/deadline';
import { isCheckError, type ErrorCode } from '../../../src/core/errors';
import { writeFileAtomic } from '../../../src/io/atomic-file';
import { LOCK_GRACE_MS, formatHolder } from '../../../src/io/file-lock';
import { loadState, lockPathOf, readState, updateState, withStateLock, type StoredState } from '../../../src/io/state-file';

const ID = '127.0.0.1:3306 status_example.lastcheck';
const CHILD = path.join(__dirname, 'state-file-child.js');
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mfc-state-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

let dirs = 0;
/** A fresh directory for one test. */
function dir(): string {
  const d = path.join(root, String(++dirs));
  fs.mkdirSync(d);
  return d;
}

function sample(over: Partial<FailoverState> = {}): FailoverState {
  return {
    ...freshState(T0),
    state: 'failed',
    verdict: 'DOWN',
    reason: 'awaiting-recover',
    latch: { at: T0, reason: 'local-unreachable', evidence: 'connect ECONNREFUSED' },
    ...over,
  };
}

function isCode(code: ErrorCode, pattern?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => isCheckError(e) && e.code === code && (pattern === undefined || pattern.test(e.message));
}

/** Writes `state` through updateState, as a caller does. */
async function put(file: string, state: FailoverState, identity = ID): Promise<void> {
  await updateState(file, identity, Deadline.in(5_000), () => ({ next: state, result: undefined }));
}

/** The directory's leftovers besides the given names. */
function strays(d: string, ...expected: string[]): string[] {
  return fs.readdirSync(d).filter((n) => !expected.includes(n));
}

interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function startChild(args: string[], options: { uid?: number; gid?: number } = {}): ChildProcess {
  return spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

function finished(child: ChildProcess, boundMs = 120_000): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child ${child.spawnargs.join(' ')} still running after ${boundMs} ms`));
    }, boundMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function runChild(args: string[], options: { uid?: number; gid?: number } = {}): Promise<ChildResult> {
  return finished(startChild(args, options));
}

/** Resolves once the child has printed `line`. */
function printed(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.split('\n').includes(line)) resolve();
    });
    child.on('close', (code) => reject(new Error(`child exited (${code}) before printing ${line}`)));
  });
}

// ------------------------------------------------------------ reading and writing

test('round trip: what updateState wrote, readState gives back; a new file is 0640', async () => {
  const file = path.join(dir(), 'state.ini');
  const state = sample({ hook: { event: 'down', command: '/bin/true', exit: '0', at: T0, durationMs: 12 } });
  await put(file, state);
  assert.deepEqual(readState(file, ID), state);
  assert.deepEqual(readState(file), state, 'no identity given: any node');
  assert.deepEqual(loadState(file, ID), { kind: 'ok', state });
  assert.equal(fs.statSync(file).mode & 0o777, 0o640);
  assert.equal(fs.readFileSync(file, 'utf8'), encodeState(state, ID));
});

test('a missing file reads as no state', () => {
  const file = path.join(dir(), 'state.ini');
  assert.equal(readState(file, ID), undefined);
  assert.deepEqual(loadState(file, ID), { kind: 'missing' });
});

test('updateState hands fn the stored state and returns its result with what was written', async () => {
  const file = path.join(dir(), 'state.ini');
  const seen: StoredState[] = [];
  const first = await updateState(file, ID, Deadline.in(5_000), (s) => {
    seen.push(s);
    return { next: sample(), result: 'first' };
  });
  assert.deepEqual(first, { result: 'first', written: true, keptCopy: undefined });
  await updateState(file, ID, Deadline.in(5_000), (s) => {
    seen.push(s);
    return { next: undefined, result: undefined };
  });
  assert.deepEqual(seen, [{ kind: 'missing' }, { kind: 'ok', state: sample() }]);
});

test('an unchanged state is not rewritten', async () => {
  const file = path.join(dir(), 'state.ini');
  await put(file, sample());
  const before = fs.statSync(file);
  const again = await updateState(file, ID, Deadline.in(5_000), (s) => ({ next: s.kind === 'ok' ? s.state : sample(), result: 0 }));
  assert.equal(again.written, false);
  const afterwards = fs.statSync(file);
  assert.equal(afterwards.ino, before.ino, 'the same file, not a renamed copy');
  assert.equal(afterwards.mtimeMs, before.mtimeMs);
});

test('a rewrite keeps the mode the file had', async () => {
  const file = path.join(dir(), 'state.ini');
  await put(file, sample());
  fs.chmodSync(file, 0o600);
  await put(file, sample({ evaluations: 5 }));
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
});

test('a file written for another node is a distinct error, also to updateState', async () => {
  const file = path.join(dir(), 'state.ini');
  await put(file, sample(), '10.0.0.1:3306 status_example.lastcheck');
  assert.throws(
    () => readState(file, ID),
    isCode('STATE_IDENTITY', /written for "10\.0\.0\.1:3306 status_example\.lastcheck", not for "127\.0\.0\.1:3306/),
  );
  let seen: StoredState | undefined;
  await updateState(file, ID, Deadline.in(5_000), (s) => {
    seen = s;
    return { next: undefined, result: undefined };
  });
  assert.ok(seen?.kind === 'unusable' && seen.error.code === 'STATE_IDENTITY');
});

// ------------------------------------------------------------ corrupt and unreadable

const CORRUPT: Array<[string, string]> = [
  ['garbage', '\u0000\u00ff binary \u0007 garbage\n'],
  ['truncated', encodeState(sample(), ID).slice(0, 300)],
  ['wrong types', encodeState(sample(), ID).replace('evaluations = 0', 'evaluations = many')],
  ['empty', ''],
];

for (const [what, content] of CORRUPT) {
  test(`corrupt (${what}): STATE_CORRUPT; fn decides; writing nothing leaves the file as it was`, async () => {
    const file = path.join(dir(), 'state.ini');
    fs.writeFileSync(file, content);
    assert.throws(() => readState(file, ID), isCode('STATE_CORRUPT', new RegExp(`^state file ${file}: `)));
    const r = await updateState(file, ID, Deadline.in(5_000), (s) => ({
      next: undefined,
      result: s.kind === 'unusable' ? s.error.code : s.kind,
    }));
    assert.deepEqual(r, { result: 'STATE_CORRUPT', written: false, keptCopy: undefined });
    assert.equal(fs.readFileSync(file, 'utf8'), content);
    assert.deepEqual(strays(path.dirname(file), 'state.ini'), []);
  });
}

test('a corrupt file replaced (auto fresh start, recover --force) is kept as PATH.corrupt-TIME first', async () => {
  const d = dir();
  const file = path.join(d, 'state.ini');
  const content = 'this is not a state\n';
  fs.writeFileSync(file, content);
  const r = await updateState(file, ID, Deadline.in(5_000), () => ({ next: sample(), result: undefined }));
  assert.equal(r.written, true);
  assert.ok(r.keptCopy !== undefined && path.dirname(r.keptCopy) === d);
  assert.match(path.basename(r.keptCopy), /^state\.ini\.corrupt-\d{8}T\d{6}\.\d{3}Z$/);
  assert.equal(fs.readFileSync(r.keptCopy, 'utf8'), content);
  assert.deepEqual(readState(file, ID), sample());
  // The file is fine now: the next write keeps no copy.
  const next = await updateState(file, ID, Deadline.in(5_000), () => ({ next: sample({ evaluations: 3 }), result: undefined }));
  assert.equal(next.keptCopy, undefined);
  assert.deepEqual(strays(d, 'state.ini', path.basename(r.keptCopy)), []);
});

test('a file of another node replaced is kept as a copy too', async () => {
  const file = path.join(dir(), 'state.ini');
  await put(file, sample(), 'another node');
  const r = await updateState(file, ID, Deadline.in(5_000), () => ({ next: sample(), result: undefined }));
  assert.ok(r.keptCopy !== undefined);
  assert.equal(readState(r.keptCopy, 'another node')?.state, 'failed');
});

test('unreadable: a directory where the file should be; an oversized file is corrupt', async () => {
  const d = dir();
  const file = path.join(d, 'state.ini');
  fs.mkdirSync(file);
  assert.throws(() => readState(file, ID), isCode('STATE_UNREADABLE', /not a regular file/));
  // Nothing can replace it, and it is not replaced silently.
  await assert.rejects(
    updateState(file, ID, Deadline.in(5_000), () => ({ next: sample(), result: undefined })),
    isCode('STATE_UNWRITABLE', /cannot keep a copy/),
  );
  assert.ok(fs.statSync(file).isDirectory());
  assert.deepEqual(strays(d, 'state.ini'), []);
  const big = path.join(d, 'big.ini');
  fs.writeFileSync(big, 'x'.repeat(64 * 1024 + 1));
  assert.throws(() => readState(big, ID), isCode('STATE_CORRUPT', /65537 bytes/));
});

// ------------------------------------------------------------ unwritable

test('a missing directory: STATE_UNWRITABLE naming the path and the errno', async () => {
  const file = path.join(dir(), 'no-such-dir', 'state.ini');
  await assert.rejects(
    updateState(file, ID, Deadline.in(5_000), () => ({ next: sample(), result: undefined })),
    isCode('STATE_UNWRITABLE', new RegExp(`${file.replace(/[.]/g, '\\.')}\\.lock: ENOENT`)),
  );
});

test('a directory the process may not write: STATE_UNWRITABLE with EACCES', async () => {
  const d = dir();
  const file = path.join(d, 'state.ini');
  if (process.getuid?.() === 0) {
    // Root writes anywhere: the writer runs as nobody, like an unprivileged snmpd.
    const open = fs.mkdtempSync(path.join(os.tmpdir(), 'mfc-ro-'));
    try {
      fs.chmodSync(open, 0o755);
      const target = path.join(open, 'state.ini');
      const r = await runChild(['increment', target, ID], { uid: 65534, gid: 65534 });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^STATE_UNWRITABLE cannot create lock ${target.replace(/[.]/g, '\\.')}\\.lock: EACCES`));
      assert.deepEqual(fs.readdirSync(open), []);
    } finally {
      fs.rmSync(open, { recursive: true, force: true });
    }
  } else {
    fs.chmodSync(d, 0o555);
    try {
      await assert.rejects(
        updateState(file, ID, Deadline.in(5_000), () => ({ next: sample(), result: undefined })),
        isCode('STATE_UNWRITABLE', /EACCES/),
      );
    } finally {
      fs.chmodSync(d, 0o755);
    }
  }
});

// ------------------------------------------------------------ atomicity

test('a failed replace leaves no temporary file behind', () => {
  const d = dir();
  const target = path.join(d, 'state.ini');
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, 'inside'), 'x');
  assert.throws(() => writeFileAtomic(target, 'text'), isCode('STATE_UNWRITABLE', /cannot replace/));
  assert.deepEqual(strays(d, 'state.ini'), []);
});

test('a reader never sees a partial file while a writer process loops; no temporary file is left', async () => {
  const d = dir();
  const file = path.join(d, 'state.ini');
  await put(file, sample());
  const writer = startChild(['write-loop', file, ID, '300']);
  const done = finished(writer);
  let running = true;
  void done.finally(() => (running = false));
  let reads = 0;
  const sizes = new Set<number>();
  while (running) {
    const s = readState(file, ID); // throws STATE_CORRUPT on a partial file
    assert.ok(s);
    sizes.add(s.cause.detail.length);
    reads++;
    await new Promise((resolve) => setImmediate(resolve));
  }
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.ok(reads > 10, `only ${reads} reads overlapped the writer`);
  assert.ok(sizes.size > 2, 'the reads saw several versions of the file');
  assert.equal(readState(file, ID)?.evaluations, 299);
  assert.deepEqual(strays(d, 'state.ini'), []);
});

// ------------------------------------------------------------ the lock

function writeLock(file: string, content: string, ageMs = 0): void {
  const lock = lockPathOf(file);
  fs.writeFileSync(lock, content);
  if (ageMs > 0) {
    const t = (Date.now() - ageMs) / 1000;
    fs.utimesSync(lock, t, t);
  }
}

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  assert.ok(r.pid !== undefined && r.pid > 0);
  return r.pid;
}

function startTicks(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
}

const STALE_LOCKS: Array<[string, (file: string) => void]> = [
  [
    'the holder process is gone',
    (f) => writeLock(f, formatHolder({ pid: deadPid(), start: undefined, acquired: Date.now(), until: Date.now() + 60_000 })),
  ],
  [
    'the pid was reused by another process',
    (f) => writeLock(f, formatHolder({ pid: process.pid, start: '1', acquired: Date.now(), until: Date.now() + 60_000 })),
  ],
  [
    'the holder is past its promised release',
    (f) =>
      writeLock(
        f,
        formatHolder({
          pid: process.pid,
          start: startTicks(process.pid),
          acquired: Date.now() - 10_000,
          until: Date.now() - LOCK_GRACE_MS - 1,
        }),
      ),
  ],
  ['no holder line, older than the grace', (f) => writeLock(f, '', LOCK_GRACE_MS + 1_000)],
];

for (const [why, make] of STALE_LOCKS) {
  test(`a stale lock is broken: ${why}`, async () => {
    const d = dir();
    const file = path.join(d, 'state.ini');
    make(file);
    await put(file, sample());
    assert.deepEqual(readState(file, ID), sample());
    assert.deepEqual(strays(d, 'state.ini'), [], 'neither the lock nor the broken one is left');
  });
}

test('a live lock is waited for until the deadline: STATE_BUSY within the bound, nothing written', async () => {
  const d = dir();
  const file = path.join(d, 'state.ini');
  await put(file, sample());
  const before = fs.readFileSync(file, 'utf8');
  const holder = startChild(['hold', file, ID, '20000']);
  const done = finished(holder);
  try {
    await printed(holder, 'held');
    const t0 = Date.now();
    await assert.rejects(
      updateState(file, ID, Deadline.in(500), () => ({ next: sample({ evaluations: 9 }), result: undefined })),
      isCode('STATE_BUSY', new RegExp(`held by pid ${holder.pid ?? 0} since `)),
    );
    const waited = Date.now() - t0;
    assert.ok(waited >= 490, `gave up after ${waited} ms, before the deadline`);
    assert.ok(waited < 500 + 2_000, `gave up after ${waited} ms, long past the deadline`);
    assert.equal(fs.readFileSync(file, 'utf8'), before);
  } finally {
    holder.kill('SIGKILL');
    await done;
  }
  // Its holder killed, the lock is stale at once.
  await put(file, sample({ evaluations: 9 }));
  assert.equal(readState(file, ID)?.evaluations, 9);
});

test('a lock file being written (no holder line yet) is waited for, not broken', async () => {
  const file = path.join(dir(), 'state.ini');
  writeLock(file, '');
  await assert.rejects(
    updateState(file, ID, Deadline.in(300), () => ({ next: sample(), result: undefined })),
    isCode('STATE_BUSY'),
  );
});

test('a holder whose lock was broken and taken by another does not commit, and leaves the new lock alone', async () => {
  const d = dir();
  const file = path.join(d, 'state.ini');
  await put(file, sample());
  const before = fs.readFileSync(file, 'utf8');
  const other = formatHolder({ pid: process.pid, start: startTicks(process.pid), acquired: Date.now(), until: Date.now() + 123_456 });
  await assert.rejects(
    withStateLock(file, ID, Deadline.in(5_000), async (txn) => {
      fs.unlinkSync(lockPathOf(file));
      writeLock(file, other);
      txn.write(sample({ evaluations: 1 }));
    }),
    isCode('STATE_BUSY', /was taken over/),
  );
  assert.equal(fs.readFileSync(file, 'utf8'), before);
  assert.equal(fs.readFileSync(lockPathOf(file), 'utf8'), other);
  assert.deepEqual(strays(d, 'state.ini', 'state.ini.lock'), []);
});

test('the lock file is readable by every waiter, whatever the umask', async () => {
  const file = path.join(dir(), 'state.ini');
  const umask = process.umask(0o077);
  try {
    await withStateLock(file, ID, Deadline.in(5_000), async () => {
      assert.equal(fs.statSync(lockPathOf(file)).mode & 0o777, 0o644);
      assert.match(fs.readFileSync(lockPathOf(file), 'utf8'), new RegExp(`^pid=${process.pid} start=`));
    });
  } finally {
    process.umask(umask);
  }
});

test('withStateLock releases the lock when fn throws', async () => {
  const d = dir();
  const file = path.join(d, 'state.ini');
  await assert.rejects(
    withStateLock(file, ID, Deadline.in(5_000), async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.deepEqual(strays(d), []);
  await put(file, sample());
});

test('withStateLock: async work past the deadline rejects TIMEOUT, releases the lock, and may not write afterwards', async () => {
  const d = dir();
  const file = path.join(d, 'state.ini');
  let lateWrite: unknown;
  let finishedWork!: () => void;
  const workDone = new Promise<void>((resolve) => (finishedWork = resolve));
  await assert.rejects(
    withStateLock(file, ID, Deadline.in(200), async (txn) => {
      await new Promise((resolve) => setTimeout(resolve, 600));
      try {
        txn.write(sample());
      } catch (e) {
        lateWrite = e;
      }
      finishedWork();
    }),
    isCode('TIMEOUT', /lock held past the deadline/),
  );
  assert.deepEqual(strays(d), [], 'the lock is released at the deadline');
  await workDone;
  assert.ok(isCode('TIMEOUT', /written after its lock was released/)(lateWrite));
  assert.equal(fs.existsSync(file), false);
});

// ------------------------------------------------------------ no lost update

test('20 concurrent processes each incrementing lose no update, with recover-style writers interleaved', async () => {
  const d = dir();
  const file = path.join(d, 'state.ini');
  const incrementers = Array.from({ length: 20 }, () => runChild(['increment', file, ID]));
  const recoverers = Array.from({ length: 5 }, () => runChild(['recover-style', file, ID, '30']));
  const results = await Promise.all([...incrementers, ...recoverers]);
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const counts = (rs: ChildResult[]): number[] => rs.map((r) => Number(r.stdout.trim())).sort((a, b) => a - b);
  assert.deepEqual(
    counts(results.slice(0, 20)),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  assert.deepEqual(counts(results.slice(20)), [1, 2, 3, 4, 5]);
  const final = readState(file, ID);
  assert.equal(final?.evaluations, 20);
  assert.equal(final?.peer.evaluations, 5);
  assert.match(final?.recovered?.by ?? '', /^op-\d+$/);
  assert.deepEqual(strays(d, 'state.ini'), []);
});
