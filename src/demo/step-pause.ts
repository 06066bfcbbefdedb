/**
 * `demo --step`: waits for Enter between steps.
 *
 * It reads stdin as it comes, in the terminal's normal line mode (no
 * readline, which would take Ctrl-C for itself): so Ctrl-C stays a SIGINT,
 * and the walk's teardown runs as it would at any other moment. The wait is
 * bounded, like every other wait of the demo: a walk left alone goes on, and
 * ends, rather than keeping two servers running for nobody.
 */
import type { Readable } from 'node:stream';

export type PauseEnd = 'enter' | 'end-of-input' | 'timeout';

/** Half an hour: a person reading the last table, not a walk abandoned for the day. */
export const PAUSE_LIMIT_MS = 30 * 60_000;

/** Resolves at the next newline on `input`, its end, or after `timeoutMs`. */
export function waitForEnter(input: Readable, timeoutMs: number = PAUSE_LIMIT_MS): Promise<PauseEnd> {
  if (input.readableEnded || input.destroyed) return Promise.resolve('end-of-input');
  return new Promise((resolve) => {
    const finish = (how: PauseEnd): void => {
      clearTimeout(timer);
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.removeListener('error', onEnd);
      // Paused again, so an idle stdin does not keep the process alive after the walk.
      input.pause();
      resolve(how);
    };
    const onData = (chunk: Buffer | string): void => {
      if (String(chunk).includes('\n')) finish('enter');
    };
    const onEnd = (): void => finish('end-of-input');
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onEnd);
    input.resume();
  });
}
