/**
 * The watcher's schedule (src/resident/watcher.ts) on a clock of the test's
 * own: the first tick at once, the next one an interval after the previous
 * one started, at once after a tick longer than the interval, never two at
 * a time, and none after stop(); and --interval's bounds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckError } from '../../../src/core/errors';
import { nextTickIn, parseIntervalMs, startWatcher, type Clock } from '../../../src/resident/watcher';

class FakeClock implements Clock {
  t = 0;
  timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private ids = 0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }
  /** Moves to `t`, firing what is due on the way. */
  async advance(to: number): Promise<void> {
    for (;;) {
      const due = this.timers.filter((x) => x.at <= to).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
      await settle();
    }
    this.t = to;
  }
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

test('nextTickIn: an interval after the start, never negative', () => {
  assert.equal(nextTickIn(1000, 1200, 1000), 800);
  assert.equal(nextTickIn(1000, 2000, 1000), 0);
  assert.equal(nextTickIn(1000, 3500, 1000), 0);
});

test('ticks at once, then every interval from the start of the previous one', async () => {
  const clock = new FakeClock();
  const starts: number[] = [];
  const w = startWatcher(
    1000,
    async () => {
      starts.push(clock.now());
      clock.t += 300; // each tick takes 300 ms of the clock
    },
    clock,
  );
  await settle();
  await clock.advance(3500);
  assert.deepEqual(starts, [0, 1000, 2000, 3000]);
  await w.stop();
  await clock.advance(10_000);
  assert.equal(starts.length, 4, 'no tick after stop()');
});

test('a tick longer than the interval: the next starts when it ends, never beside it; a failing tick does not stop the watcher', async () => {
  const clock = new FakeClock();
  let running = 0;
  let most = 0;
  const starts: number[] = [];
  let release: (() => void) | undefined;
  const w = startWatcher(
    1000,
    async () => {
      running++;
      most = Math.max(most, running);
      starts.push(clock.now());
      if (starts.length === 1) await new Promise<void>((r) => (release = r));
      running--;
      if (starts.length === 2) throw new Error('a check that failed');
    },
    clock,
  );
  await settle();
  await clock.advance(2500);
  assert.deepEqual(starts, [0], 'the slow first tick is still running');
  release?.();
  await settle();
  await clock.advance(2500); // no time passes: the next tick was due at once
  assert.deepEqual(starts, [0, 2500], 'the next one at once');
  await clock.advance(3500);
  assert.deepEqual(starts, [0, 2500, 3500]);
  assert.equal(most, 1);
  await w.stop();
});

test('stop() waits for the tick that is running', async () => {
  const clock = new FakeClock();
  let release: (() => void) | undefined;
  let ended = false;
  const w = startWatcher(
    1000,
    async () => {
      await new Promise<void>((r) => (release = r));
      ended = true;
    },
    clock,
  );
  await settle();
  const stopped = w.stop();
  await settle();
  assert.equal(ended, false);
  release?.();
  await stopped;
  assert.equal(ended, true);
});

test('--interval: 0 is off, fractions allowed, below 0.1 s or garbage refused', () => {
  assert.equal(parseIntervalMs('0'), 0);
  assert.equal(parseIntervalMs('1'), 1000);
  assert.equal(parseIntervalMs('0.5'), 500);
  for (const bad of ['0.05', '-1', 'soon', '']) {
    assert.throws(
      () => parseIntervalMs(bad),
      (e: unknown) => e instanceof CheckError && e.code === 'USAGE',
      bad,
    );
  }
});
