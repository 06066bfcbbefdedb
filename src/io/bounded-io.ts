/**
 * Reads and writes that never wait without a bound, on whatever carries a
 * client: stdin/stdout under xinetd or a systemd socket unit with
 * `Accept=yes` (the client's socket is both fd 0 and fd 1), or a TCP socket
 * of `serve`.
 *
 * Reading is bounded in bytes and time, so a client that sends nothing, or
 * too much, costs one second at most. Writing is synchronous and retried on
 * EAGAIN: Node puts a socket on fd 0 in non-blocking mode, and fd 1 shares
 * that open file description.
 */
import { writeSync } from 'node:fs';
import type { Readable } from 'node:stream';

/** How a bounded read ended. */
export type ReadEnd = 'complete' | 'eof' | 'limit' | 'timeout' | 'error';

export interface ReadResult {
  /** What was read, at most maxBytes. */
  data: Buffer;
  end: ReadEnd;
}

export interface ReadOptions {
  maxBytes: number;
  timeoutMs: number;
  /** True once `data` holds everything we want (e.g. a whole request head). */
  complete?: (data: Buffer) => boolean;
}

/**
 * Reads from `stream` until `complete` says so, maxBytes have arrived, the
 * stream ends or fails, or timeoutMs pass, whichever comes first. Never
 * rejects. The stream is paused afterwards, not destroyed: destroying stdin
 * could shut down the socket we still have to answer on.
 */
export function readBounded(stream: Readable, opts: ReadOptions): Promise<ReadResult> {
  return new Promise<ReadResult>((resolve) => {
    let data = Buffer.alloc(0);
    let settled = false;
    const finish = (end: ReadEnd): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onEnd);
      // Keep a listener: an 'error' after we stopped listening must not become uncaught.
      stream.on('error', () => undefined);
      try {
        stream.pause();
      } catch {
        // nothing to pause
      }
      resolve({ data, end });
    };
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
      const room = opts.maxBytes - data.length;
      data = Buffer.concat([data, bytes.subarray(0, Math.max(0, room))]);
      if (opts.complete !== undefined && opts.complete(data)) finish('complete');
      else if (bytes.length > room || data.length >= opts.maxBytes) finish('limit');
    };
    const onEnd = (): void => finish('eof');
    const onError = (): void => finish('error');
    const timer = setTimeout(() => finish('timeout'), opts.timeoutMs);
    timer.unref();
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
    stream.once('error', onError);
    try {
      stream.resume();
    } catch {
      finish('error');
    }
  });
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Writes all of `data` to `fd`, retrying EAGAIN for up to `patienceMs`.
 * Returns false when the client is gone (EPIPE, ECONNRESET, ...) or stayed
 * full too long: there is nobody left to tell, so nothing is thrown.
 */
export function writeAllSync(fd: number, data: string | Buffer, patienceMs = 1000): boolean {
  let rest = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  const giveUpAt = Date.now() + patienceMs;
  while (rest.length > 0) {
    try {
      const n = writeSync(fd, rest);
      rest = rest.subarray(n);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' && Date.now() < giveUpAt) {
        sleepSync(2);
        continue;
      }
      return false;
    }
  }
  return true;
}
