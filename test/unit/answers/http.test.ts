/**
 * The HTTP responder's pure parts: where a request head ends, which requests
 * are answered, and the exact bytes of the answers.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatResponse,
  headEnd,
  isMetricsRequest,
  MAX_REQUEST_BYTES,
  metricsResponse,
  parseRequest,
  rejectResponse,
  verdictResponse,
  type ParsedRequest,
} from '../../../src/answers/http';
import { REASONS, type Reason } from '../../../src/core/decide';

const UP: readonly Reason[] = ['fresh', 'peer-unreachable', 'caught-up', 'holding-up'];

const b = (s: string) => Buffer.from(s, 'latin1');
const parse = (s: string) => parseRequest(b(s), headEnd(b(s)) >= 0 ? 'complete' : 'eof');

function rejected(r: ParsedRequest, status: 400 | 405 = 400): string {
  assert.equal(r.ok, false, `expected a rejection, got ${JSON.stringify(r)}`);
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.status, status);
  return r.problem;
}

/** Splits a response into status line, headers (lower-case names) and body. */
function split(response: string): { status: string; headers: Map<string, string>; body: string } {
  const at = response.indexOf('\r\n\r\n');
  assert.ok(at > 0, 'response has a head ended by CRLF CRLF');
  const [status, ...lines] = response.slice(0, at).split('\r\n');
  const headers = new Map<string, string>();
  for (const l of lines) {
    const m = /^([A-Za-z-]+): (.*)$/.exec(l);
    assert.ok(m, `header line ${JSON.stringify(l)}`);
    assert.ok(!headers.has(m[1]!.toLowerCase()), `duplicate header ${m[1]}`);
    headers.set(m[1]!.toLowerCase(), m[2]!);
  }
  return { status: status ?? '', headers, body: response.slice(at + 4) };
}

describe('headEnd', () => {
  test('finds the blank line after CRLF and bare LF lines', () => {
    assert.equal(headEnd(b('GET / HTTP/1.0\r\n\r\n')), 18);
    assert.equal(headEnd(b('GET / HTTP/1.0\n\n')), 16);
    assert.equal(headEnd(b('GET / HTTP/1.0\r\nA: b\n\r\nrest')), 23);
    assert.equal(headEnd(b('GET / HTTP/1.0\nA: b\r\n\n')), 22);
  });
  test('is -1 while the head is incomplete', () => {
    assert.equal(headEnd(b('')), -1);
    assert.equal(headEnd(b('GET / HTTP/1.0\r\n')), -1);
    assert.equal(headEnd(b('GET / HTTP/1.0\r\nHost: x\r\n\r')), -1);
  });
  test('skips empty lines before the request line', () => {
    assert.equal(headEnd(b('\r\n\r\n')), -1);
    assert.equal(headEnd(b('\r\nGET / HTTP/1.0\r\n\r\n')), 20);
  });
});

describe('parseRequest', () => {
  test('accepts what load balancers send', () => {
    assert.deepEqual(parse('OPTIONS / HTTP/1.0\r\n\r\n'), { ok: true, method: 'OPTIONS', target: '/', version: 'HTTP/1.0' });
    assert.deepEqual(parse('GET /health?x=1 HTTP/1.1\r\nHost: lb\r\nUser-Agent: HAProxy\r\nConnection: close\r\n\r\n'), {
      ok: true,
      method: 'GET',
      target: '/health?x=1',
      version: 'HTTP/1.1',
    });
    assert.equal((parse('HEAD / HTTP/1.1\r\n\r\n') as { method: string }).method, 'HEAD');
    assert.equal(parse('OPTIONS * HTTP/1.1\r\n\r\n').ok, true);
    assert.equal(parse('GET http://10.0.0.1:9200/ HTTP/1.1\r\n\r\n').ok, true);
    assert.equal(parse('GET / HTTP/1.0\n\n').ok, true, 'bare LF line ends');
    assert.equal(parse('\r\nGET / HTTP/1.0\r\n\r\n').ok, true, 'a leading empty line');
    assert.equal(parse('GET / HTTP/1.0\r\nContent-Length: 0\r\n\r\n').ok, true);
    assert.equal(parse('GET / HTTP/1.0\r\nX-Empty:\r\nX-Tab:\tv\t\r\n\r\n').ok, true);
  });

  test('a well-formed request with another method gets 405', () => {
    for (const m of ['POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT', 'PATCH', 'get', 'BREW']) {
      assert.match(rejected(parse(`${m} / HTTP/1.1\r\n\r\n`), 405), /GET, HEAD or OPTIONS/);
    }
  });

  test('anything malformed gets 400', () => {
    const cases: Array<[string, RegExp]> = [
      ['GET / HTTP/1.0 extra\r\n\r\n', /METHOD TARGET VERSION/],
      ['GET  / HTTP/1.0\r\n\r\n', /METHOD TARGET VERSION/],
      ['GET /\r\n\r\n', /METHOD TARGET VERSION/],
      ['GET\r\n\r\n', /METHOD TARGET VERSION/],
      ['G(T / HTTP/1.0\r\n\r\n', /token/],
      ['GET / HTTP/2.0\r\n\r\n', /HTTP version/],
      ['GET / http/1.1\r\n\r\n', /HTTP version/],
      ['GET / HTTP/1.1 \r\n\r\n', /METHOD TARGET VERSION/],
      ['GET health HTTP/1.1\r\n\r\n', /request target/],
      ['GET * HTTP/1.1\r\n\r\n', /OPTIONS only/],
      ['GET /\x01 HTTP/1.1\r\n\r\n', /invalid characters/],
      ['GET /\xe9 HTTP/1.1\r\n\r\n', /invalid characters/],
      ['GET / HTTP/1.1\rX\r\n\r\n', /CR|HTTP version/],
      ['GET / HTTP/1.1\r\nHost x\r\n\r\n', /colon/],
      ['GET / HTTP/1.1\r\n: x\r\n\r\n', /colon/],
      ['GET / HTTP/1.1\r\nHo st: x\r\n\r\n', /token/],
      ['GET / HTTP/1.1\r\nHost : x\r\n\r\n', /token/],
      ['GET / HTTP/1.1\r\nHost: x\r\n continued\r\n\r\n', /folded/],
      ['GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n', /control/],
      ['GET / HTTP/1.1\r\nX: a\rb\r\n\r\n', /control/],
      ['GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello', /bodies/],
      ['GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n', /bodies/],
      ['GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', /bodies/],
      ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n\n', /METHOD TARGET VERSION|token/],
    ];
    for (const [request, problem] of cases) {
      assert.match(rejected(parse(request)), problem, JSON.stringify(request));
    }
  });

  test('incomplete, oversized and late requests get 400', () => {
    assert.match(rejected(parseRequest(b(''), 'eof')), /empty request/);
    assert.match(rejected(parseRequest(b('GET / HTTP/1.0\r\n'), 'eof')), /closed before/);
    assert.match(rejected(parseRequest(b('GET / HTTP/1.0\r\n'), 'error')), /closed before/);
    assert.match(rejected(parseRequest(b('GET / HTTP/1.0\r\n'), 'timeout')), /within 1000 ms/);
    assert.match(rejected(parseRequest(b('x'.repeat(MAX_REQUEST_BYTES)), 'limit')), /larger than 8192 bytes/);
    // 'complete' without a head is a caller's mistake, still a 400, never a crash.
    assert.match(rejected(parseRequest(b('GET /'), 'complete')), /no complete request head/);
  });

  test('a rejection never echoes the request', () => {
    const secret = 'Authorization-Token-s3cr3t';
    for (const request of [`GET /${secret} HTTP/9.9\r\n\r\n`, `${secret} / HTTP/1.1\r\n\r\n`, `GET / HTTP/1.1\r\n${secret}\r\n\r\n`]) {
      const r = parse(request);
      assert.equal(r.ok, false);
      if (!r.ok) assert.ok(!rejectResponse(r).includes('s3cr3t'));
    }
  });
});

describe('responses', () => {
  test('UP is 200 with a one-line body naming verdict and reason', () => {
    const r = verdictResponse({ verdict: 'UP', reason: 'fresh' }, 'GET');
    assert.equal(
      r,
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9\r\nCache-Control: no-store\r\n' +
        'Connection: close\r\n\r\nUP fresh\n',
    );
  });

  test('DOWN is 503 for every reason, and Content-Length is the body length', () => {
    const reasons = REASONS.filter((r) => !UP.includes(r));
    for (const reason of reasons) {
      const { status, headers, body } = split(verdictResponse({ verdict: 'DOWN', reason }, 'GET'));
      assert.equal(status, 'HTTP/1.1 503 Service Unavailable');
      assert.equal(headers.get('content-type'), 'text/plain');
      assert.equal(headers.get('connection'), 'close');
      assert.equal(body, `DOWN ${reason}\n`);
      assert.equal(Number(headers.get('content-length')), Buffer.byteLength(body));
    }
    for (const reason of UP) {
      assert.match(verdictResponse({ verdict: 'UP', reason }, 'GET'), new RegExp(`^HTTP/1.1 200 OK\r\n[^]*\r\n\r\nUP ${reason}\n$`));
    }
  });

  test('HEAD keeps the headers, Content-Length included, and drops the body', () => {
    const get = split(verdictResponse({ verdict: 'DOWN', reason: 'catching-up' }, 'GET'));
    const head = split(verdictResponse({ verdict: 'DOWN', reason: 'catching-up' }, 'HEAD'));
    assert.equal(head.status, get.status);
    assert.deepEqual(head.headers, get.headers);
    assert.equal(head.body, '');
  });

  test('OPTIONS answers like GET and names the allowed methods', () => {
    const r = split(verdictResponse({ verdict: 'UP', reason: 'caught-up' }, 'OPTIONS'));
    assert.equal(r.status, 'HTTP/1.1 200 OK');
    assert.equal(r.headers.get('allow'), 'GET, HEAD, OPTIONS');
    assert.equal(r.body, 'UP caught-up\n');
  });

  test('400 and 405', () => {
    const r400 = split(rejectResponse({ status: 400, problem: 'empty request' }));
    assert.equal(r400.status, 'HTTP/1.1 400 Bad Request');
    assert.equal(r400.body, 'empty request\n');
    assert.equal(r400.headers.get('content-length'), String(r400.body.length));
    const r405 = split(rejectResponse({ status: 405, problem: 'method not allowed (GET, HEAD or OPTIONS)' }));
    assert.equal(r405.status, 'HTTP/1.1 405 Method Not Allowed');
    assert.equal(r405.headers.get('allow'), 'GET, HEAD, OPTIONS');
  });

  test('formatResponse ends the head with an empty line even without body', () => {
    assert.match(formatResponse(200, '', { withBody: true }), /Content-Length: 0\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n$/);
  });
});

describe('serve: /metrics', () => {
  test('GET and HEAD of /metrics (a query string allowed, absolute form too) are for the metrics; everything else is a health check', () => {
    const is = (method: 'GET' | 'HEAD' | 'OPTIONS', target: string): boolean => isMetricsRequest({ method, target });
    assert.equal(is('GET', '/metrics'), true);
    assert.equal(is('HEAD', '/metrics'), true);
    assert.equal(is('GET', '/metrics?name[]=x'), true);
    assert.equal(is('GET', 'http://db1:9200/metrics'), true);
    assert.equal(is('OPTIONS', '/metrics'), false);
    assert.equal(is('GET', '/'), false);
    assert.equal(is('GET', '/metrics/'), false);
    assert.equal(is('GET', '/metricsx'), false);
    assert.equal(is('GET', '/x/metrics'), false);
  });

  test('the metrics answer: 200 with the exposition type, the body as UTF-8 bytes and their length; HEAD without the body', () => {
    const text = { contentType: 'text/plain; version=0.0.4; charset=utf-8', body: 'x{channel="é"} 1\n' };
    const get = Buffer.from(metricsResponse(text, 'GET'), 'latin1');
    const [head, body] = get.toString('latin1').split('\r\n\r\n') as [string, string];
    assert.match(head, /^HTTP\/1\.1 200 OK\r\nContent-Type: text\/plain; version=0\.0\.4; charset=utf-8\r\nContent-Length: 18\r\n/);
    assert.equal(Buffer.from(body, 'latin1').toString('utf8'), text.body);
    const headOnly = metricsResponse(text, 'HEAD');
    assert.match(headOnly, /Content-Length: 18\r\n/);
    assert.ok(headOnly.endsWith('\r\n\r\n'));
  });
});
