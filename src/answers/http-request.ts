/**
 * Reading one HTTP request head, as every HTTP responder here does: the
 * per-connection executable on stdin, `serve` on a TCP socket. The read is
 * src/io/bounded-io.ts's, with the bounds the request judge (http.ts) sets:
 * 8 KiB and 1 s, stopping as soon as the head is complete.
 */
import type { Readable } from 'node:stream';
import { readBounded } from '../io/bounded-io';
import { headEnd, MAX_REQUEST_BYTES, parseRequest, REQUEST_TIMEOUT_MS, type ParsedRequest } from './http';

/** One request head from `stream`, read within the bounds and judged; never rejects. */
export async function readHttpRequest(stream: Readable): Promise<ParsedRequest> {
  const r = await readBounded(stream, {
    maxBytes: MAX_REQUEST_BYTES,
    timeoutMs: REQUEST_TIMEOUT_MS,
    complete: (data) => headEnd(data) >= 0,
  });
  return parseRequest(r.data, r.end);
}
