/**
 * The HTTP side of `mysql-failover-http`, pure: where a request head ends,
 * whether it is one we answer, and the bytes of the answer. No I/O here; the
 * request is read by http-request.ts (bounded, src/io/bounded-io.ts) from
 * stdin or a socket, and the answer written by the caller.
 *
 * Load balancers send a short request with no body and read one response:
 * HAProxy's `option httpchk` sends `OPTIONS / HTTP/1.0` unless told
 * otherwise, others send GET or HEAD. So:
 * - GET, HEAD and OPTIONS run the check and answer 200 (UP) or 503 (DOWN);
 * - another well-formed method gets 405, anything malformed, oversized,
 *   incomplete or with a body gets 400, and neither touches the database;
 * - every answer is HTTP/1.1 with Content-Type, Content-Length and
 *   `Connection: close`, and its body is one line made only of fixed words
 *   (the verdict and reason codes, or the name of the problem): no SQL error
 *   text, no peer hostname, no secret, nothing echoed from the request.
 */
import type { Reason, Verdict } from '../core/decide';
import type { ReadEnd } from '../io/bounded-io';

/** The most we read of a request: a health check's head is a few hundred bytes. */
export const MAX_REQUEST_BYTES = 8192;
/** How long we wait for the whole request head. */
export const REQUEST_TIMEOUT_MS = 1000;

export const METHODS = ['GET', 'HEAD', 'OPTIONS'] as const;
export type Method = (typeof METHODS)[number];

export type ParsedRequest =
  { ok: true; method: Method; target: string; version: 'HTTP/1.0' | 'HTTP/1.1' } | { ok: false; status: 400 | 405; problem: string };

const CR = 0x0d;
const LF = 0x0a;

/**
 * Index just past the blank line that ends the request head, or -1 while it
 * has not arrived. Lines may end in CRLF or a bare LF (RFC 9112 section 2.2
 * lets a recipient accept LF), and empty lines before the request line are
 * skipped (section 2.2: a server SHOULD ignore at least one).
 */
export function headEnd(buf: Uint8Array): number {
  let start = 0;
  while (start < buf.length && (buf[start] === CR || buf[start] === LF)) start++;
  for (let i = start; i < buf.length; i++) {
    if (buf[i] !== LF) continue;
    if (buf[i + 1] === LF) return i + 2;
    if (buf[i + 1] === CR && buf[i + 2] === LF) return i + 3;
  }
  return -1;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Visible ASCII only: no spaces, no controls, no bytes above 0x7e. */
const TARGET = /^[\x21-\x7e]+$/;
/** Field values: visible characters, spaces, tabs and obs-text; no other control characters. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

function bad(problem: string): ParsedRequest {
  return { ok: false, status: 400, problem };
}

/**
 * Judges what was read. `end` says how reading stopped; only a complete head
 * can be a request. The problem texts are fixed strings (they go into the
 * 400 body), never pieces of the request.
 */
export function parseRequest(data: Uint8Array, end: ReadEnd): ParsedRequest {
  if (end === 'limit') return bad(`request head larger than ${MAX_REQUEST_BYTES} bytes`);
  if (end === 'timeout') return bad(`no complete request head within ${REQUEST_TIMEOUT_MS} ms`);
  if (end !== 'complete') {
    return bad(data.length === 0 ? 'empty request' : 'connection closed before the request head was complete');
  }
  const stop = headEnd(data);
  if (stop < 0) return bad('no complete request head');
  // latin1 maps every byte to one character, so nothing is lost or merged.
  const text = Buffer.from(data.buffer, data.byteOffset, stop).toString('latin1');
  const lines = text
    .replace(/^[\r\n]+/, '')
    .split('\n')
    .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  // The head ends with an empty line, which split() turns into two empty strings.
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const requestLine = lines.shift() ?? '';
  if (requestLine.includes('\r')) return bad('stray CR in the request line');

  const parts = requestLine.split(' ');
  if (parts.length !== 3) return bad('request line is not METHOD TARGET VERSION');
  const [method, target, version] = parts as [string, string, string];
  if (!TOKEN.test(method)) return bad('method is not a token');
  if (!TARGET.test(target)) return bad('request target has invalid characters');
  if (version !== 'HTTP/1.0' && version !== 'HTTP/1.1') return bad('HTTP version is not HTTP/1.0 or HTTP/1.1');
  const originForm = target.startsWith('/');
  const absoluteForm = /^https?:\/\/[^/?#]+/i.test(target);
  const asteriskForm = target === '*';
  if (!originForm && !absoluteForm && !asteriskForm) return bad('request target is not a path, an absolute URL or *');
  if (asteriskForm && method !== 'OPTIONS') return bad('* is a request target for OPTIONS only');

  for (const line of lines) {
    if (line.startsWith(' ') || line.startsWith('\t')) return bad('folded header line');
    const colon = line.indexOf(':');
    if (colon <= 0) return bad('header line without a name and a colon');
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!TOKEN.test(name)) return bad('header name is not a token');
    if (!FIELD_VALUE.test(value)) return bad('header value has control characters');
    const lower = name.toLowerCase();
    // A body would stay unread in the socket, and closing a socket with unread
    // data sends a reset that can destroy our answer on its way: no bodies.
    if (lower === 'transfer-encoding') return bad('request bodies are not accepted');
    if (lower === 'content-length' && !/^0+$/.test(value)) return bad('request bodies are not accepted');
  }

  if (!(METHODS as readonly string[]).includes(method)) {
    return { ok: false, status: 405, problem: 'method not allowed (GET, HEAD or OPTIONS)' };
  }
  return { ok: true, method: method as Method, target, version };
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: 'OK',
  400: 'Bad Request',
  405: 'Method Not Allowed',
  503: 'Service Unavailable',
};

export const ALLOW = METHODS.join(', ');

/**
 * One complete response. `withBody` false (HEAD) keeps Content-Length, the
 * length the body would have had, and leaves the body out (RFC 9110 9.3.2).
 */
export function formatResponse(
  status: number,
  body: string,
  opts: { withBody: boolean; headers?: ReadonlyArray<readonly [string, string]>; contentType?: string },
): string {
  const reason = STATUS_TEXT[status] ?? 'Unknown';
  const bodyBytes = Buffer.byteLength(body, 'latin1');
  const lines = [
    `HTTP/1.1 ${status} ${reason}`,
    `Content-Type: ${opts.contentType ?? 'text/plain'}`,
    `Content-Length: ${bodyBytes}`,
    'Cache-Control: no-store',
    'Connection: close',
    ...(opts.headers ?? []).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${opts.withBody ? body : ''}`;
}

/** What the LB reads: 200 for UP, 503 for DOWN. */
export function verdictStatus(verdict: Verdict): 200 | 503 {
  return verdict === 'UP' ? 200 : 503;
}

/** The body: the verdict and the reason code, both from closed sets, e.g. `DOWN catching-up`. */
export function verdictBody(decision: { verdict: Verdict; reason: Reason }): string {
  return `${decision.verdict} ${decision.reason}\n`;
}

export function verdictResponse(decision: { verdict: Verdict; reason: Reason }, method: Method): string {
  return formatResponse(verdictStatus(decision.verdict), verdictBody(decision), {
    withBody: method !== 'HEAD',
    headers: method === 'OPTIONS' ? [['Allow', ALLOW]] : [],
  });
}

/** The answer to a request we do not run the check for (400, 405). */
export function rejectResponse(rejected: { status: 400 | 405; problem: string }): string {
  return formatResponse(rejected.status, `${rejected.problem}\n`, {
    withBody: true,
    headers: rejected.status === 405 ? [['Allow', ALLOW]] : [],
  });
}

/**
 * Whether a request is for serve's /metrics (docs/metrics.md): GET or HEAD
 * of the path /metrics, a query string allowed, in origin or absolute form.
 * Every other request, OPTIONS /metrics included, is a health check.
 */
export function isMetricsRequest(request: { method: Method; target: string }): boolean {
  if (request.method === 'OPTIONS') return false;
  const target = request.target.replace(/^https?:\/\/[^/?#]+/i, '');
  return /^\/metrics(?:\?.*)?$/.test(target);
}

/**
 * The metrics answer: the exposition text as UTF-8 (a channel name may hold
 * any character), sent through the latin1 writer every answer uses, which
 * passes bytes through unchanged.
 */
export function metricsResponse(text: { contentType: string; body: string }, method: Method): string {
  const bytes = Buffer.from(text.body, 'utf8').toString('latin1');
  return formatResponse(200, bytes, { withBody: method !== 'HEAD', contentType: text.contentType });
}
