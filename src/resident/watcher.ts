/**
 * `serve --interval SECONDS`: the resident watcher, which evaluates the node
 * in the background every interval even when no load balancer probes, so
 * that the failover state moves on (hysteresis, peer-lost) and its events
 * fire on time. What one tick does is the caller's (src/resident/serve.ts:
 * a background check, which never stamps, and HAProxy pushes to retry).
 *
 * Ticks never overlap: the next one is due an interval after the previous
 * one started, or at once when it took longer than that.
 */
import type { OptionSpec } from '../config/option-specs';
import { CheckError } from '../core/errors';
import { parseSeconds } from '../config/value-parsers';

/** --interval: 0 (no watcher, the default) or at least this much. */
export const MIN_INTERVAL_MS = 100;

export const INTERVAL_OPTION = {
  name: 'interval',
  kind: 'string',
  arg: 'SECONDS',
  default: '0',
  help: 'evaluate the node in the background this often, never stamping (0: off)',
  file: false,
} as const satisfies OptionSpec;

/** --interval in ms: 0, or 0.1 s to a day. */
export function parseIntervalMs(text: string): number {
  const ms = Math.round(parseSeconds('interval', text, { min: 0, max: 86_400 }) * 1000);
  if (ms !== 0 && ms < MIN_INTERVAL_MS) throw new CheckError('USAGE', `--interval must be 0 or at least ${MIN_INTERVAL_MS / 1000} s`);
  return ms;
}

/** How long until the next tick, for a tick that started at `startedAt` and ended at `now`. */
export function nextTickIn(startedAt: number, now: number, intervalMs: number): number {
  return Math.max(0, startedAt + intervalMs - now);
}

export interface Watcher {
  /** No tick starts after this; resolves once the one running (if any) has ended. */
  stop(): Promise<void>;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_CLOCK: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Runs `tick` every `intervalMs`, the first one at once. A tick that throws or rejects does not stop the next. */
export function startWatcher(intervalMs: number, tick: () => Promise<void>, clock: Clock = REAL_CLOCK): Watcher {
  let stopped = false;
  let timer: unknown;
  let running: Promise<void> | undefined;

  const run = (): void => {
    if (stopped) return;
    const startedAt = clock.now();
    running = (async () => {
      try {
        await tick();
      } catch {
        // The next tick tries again: a watcher that stopped on one failure would stop watching.
      }
    })();
    void running.then(() => {
      running = undefined;
      if (!stopped) timer = clock.setTimeout(run, nextTickIn(startedAt, clock.now(), intervalMs));
    });
  };
  run();

  return {
    async stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      if (running !== undefined) await running;
    },
  };
}
