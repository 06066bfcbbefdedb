/**
 * The pass_persist protocol without snmpd: conversations fed to a session the
 * way snmpd writes them (and the way it never should), with a verdict provider
 * the test controls. Every request type, the OID order of getnext, malformed
 * and overlong lines, EOF, and answers in request order whatever the
 * provider does.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Decision } from '../../../src/core/decide';
import { DEFAULT_PERSIST_BASE, formatOid, parsePersistBase } from '../../../src/answers/oid';
import { LineSplitter, PassPersistSession, RequestParser, type SessionOptions } from '../../../src/answers/pass-persist';

const BASE = parsePersistBase(DEFAULT_PERSIST_BASE);
const B = formatOid(BASE);

const UP: Decision = { verdict: 'UP', reason: 'fresh', detail: 'heartbeat age 1 s <= 20 s', stamp: true, steps: [], warnings: [] };
const DOWN: Decision = {
  verdict: 'DOWN',
  reason: 'local-unreachable',
  detail: 'connect ECONNREFUSED',
  stamp: false,
  steps: [],
  warnings: [],
};

interface Run {
  out: string;
  calls: number;
}

/** Feeds `input` (in pieces of `chunk` bytes), then EOF; resolves with everything written. */
async function converse(
  input: string | Buffer,
  decide: () => Promise<Decision> = async () => UP,
  opts: { chunk?: number; deadlineMs?: number } & Pick<Partial<SessionOptions>, 'maxLineBytes'> = {},
): Promise<Run> {
  let out = '';
  let calls = 0;
  const session = new PassPersistSession({
    base: BASE,
    probe: () => {
      calls++;
      return decide();
    },
    write: (text) => {
      out += text;
      return true;
    },
    deadlineMs: () => opts.deadlineMs ?? 2_000,
    ...(opts.maxLineBytes !== undefined ? { maxLineBytes: opts.maxLineBytes } : {}),
  });
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const step = opts.chunk ?? bytes.length;
  for (let i = 0; i < bytes.length; i += Math.max(1, step)) session.feed(bytes.subarray(i, i + Math.max(1, step)));
  session.end();
  await session.closed;
  return { out, calls };
}

describe('lines', () => {
  test('split across chunks, CRLF tolerated, an unfinished line kept for the next chunk', () => {
    const s = new LineSplitter(100);
    assert.deepEqual(s.push(Buffer.from('PI')), []);
    assert.deepEqual(
      s.push(Buffer.from('NG\r\nget\n.1.3')).map((l) => l.text),
      ['PING', 'get'],
    );
    assert.deepEqual(s.push(Buffer.from('.6\n')), [{ text: '.1.3.6', overlong: false }]);
  });

  test('a line over the bound is one overlong line, skipped without keeping it, and the next line is intact', () => {
    const s = new LineSplitter(16);
    assert.deepEqual(s.push(Buffer.from('x'.repeat(10))), []);
    assert.deepEqual(s.push(Buffer.from('y'.repeat(1000))), []);
    assert.deepEqual(s.push(Buffer.from('z\nPING\n')), [
      { text: '', overlong: true },
      { text: 'PING', overlong: false },
    ]);
    assert.deepEqual(s.push(Buffer.from(`${'a'.repeat(16)}\n`)), [{ text: 'a'.repeat(16), overlong: false }], 'exactly the bound is fine');
  });

  test('the parser turns command lines plus their argument lines into requests, skipping blank lines', () => {
    const p = new RequestParser();
    const feed = (...texts: string[]) => texts.map((text) => p.line({ text, overlong: false }));
    assert.deepEqual(feed('PING'), [{ kind: 'ping' }]);
    assert.deepEqual(feed('get', '', '.1.3'), [undefined, undefined, { kind: 'get', oid: '.1.3' }]);
    assert.deepEqual(feed('getnext', '.1.3'), [undefined, { kind: 'getnext', oid: '.1.3' }]);
    assert.deepEqual(feed('set', '.1.3', 'integer 5'), [undefined, undefined, { kind: 'set', oid: '.1.3', value: 'integer 5' }]);
    assert.deepEqual(feed('hello'), [{ kind: 'garbage' }]);
    assert.deepEqual(p.line({ text: '', overlong: true }), { kind: 'garbage' });
  });
});

describe('pass_persist session', () => {
  test('PING is answered PONG', async () => {
    assert.equal((await converse('PING\n')).out, 'PONG\n');
  });

  test('get of the verdict: 100 while UP, 200 while DOWN, as an INTEGER under the base; the OID with or without its dot', async () => {
    assert.equal((await converse(`get\n${B}.1.0\n`)).out, `${B}.1.0\ninteger\n100\n`);
    assert.equal((await converse(`get\n${DEFAULT_PERSIST_BASE}.1.0\n`, async () => DOWN)).out, `${B}.1.0\ninteger\n200\n`);
  });

  test('get of the reason: the reason code as a STRING', async () => {
    assert.equal((await converse(`get\n${B}.2.0\n`, async () => DOWN)).out, `${B}.2.0\nstring\nlocal-unreachable\n`);
  });

  test('get of anything else is NONE, and costs no check', async () => {
    for (const oid of [B, `${B}.1`, `${B}.1.0.0`, `${B}.3.0`, '.1.3.6.1.2.1.1.3.0', 'not-an-oid', '1..3']) {
      const r = await converse(`get\n${oid}\nPING\n`);
      assert.equal(r.out, 'NONE\nPONG\n', oid);
      assert.equal(r.calls, 0, oid);
    }
  });

  test('getnext walks the objects in OID order and is NONE past the last', async () => {
    const cases: Array<[string, string]> = [
      ['.1.3.6.1.4.1', `${B}.1.0\ninteger\n100\n`], // before the base: snmpd sends the base itself, but be exact
      [B, `${B}.1.0\ninteger\n100\n`],
      [`${B}.1`, `${B}.1.0\ninteger\n100\n`],
      [`${B}.0.99`, `${B}.1.0\ninteger\n100\n`],
      [`${B}.1.0`, `${B}.2.0\nstring\nfresh\n`],
      [`${B}.1.0.7`, `${B}.2.0\nstring\nfresh\n`],
      [`${B}.2`, `${B}.2.0\nstring\nfresh\n`],
      [`${B}.2.0`, 'NONE\n'],
      [`${B}.3`, 'NONE\n'],
      ['.1.3.6.1.4.1.8073', 'NONE\n'],
      ['garbage', 'NONE\n'],
    ];
    for (const [oid, want] of cases) assert.equal((await converse(`getnext\n${oid}\n`)).out, want, oid);
  });

  test('a whole walk as snmpd runs it: PING before every request', async () => {
    const r = await converse(`PING\ngetnext\n${B}\nPING\ngetnext\n${B}.1.0\nPING\ngetnext\n${B}.2.0\n`);
    assert.equal(r.out, `PONG\n${B}.1.0\ninteger\n100\nPONG\n${B}.2.0\nstring\nfresh\nPONG\nNONE\n`);
    assert.equal(r.calls, 2, 'one verdict per answered object; NONE past the end costs none');
  });

  test('set is refused not-writable, its three lines consumed, whatever OID and value', async () => {
    const r = await converse(`set\n${B}.1.0\ninteger 100\nPING\nset\ngarbage\n\nstring "x y"\nget\n${B}.1.0\n`);
    assert.equal(r.out, `not-writable\nPONG\nnot-writable\n${B}.1.0\ninteger\n100\n`);
  });

  test('garbage lines get NONE each and blank lines nothing, so the conversation stays in step', async () => {
    const r = await converse(`\n\nhello\n   \nGET\n${B}.1.0\n\u00ff\u0000\u0007\nPING\n`);
    assert.equal(r.out, `NONE\n${B}.1.0\ninteger\n100\nNONE\nPONG\n`);
  });

  test('an overlong line is answered NONE once, wherever it comes, and the next request is answered normally', async () => {
    const long = '1.'.repeat(50_000) + '1';
    const r = await converse(`${long}\nPING\nget\n${long}\nPING\nset\n${long}\n${long}\nPING\n`, undefined, { chunk: 777 });
    assert.equal(r.out, 'NONE\nPONG\nNONE\nPONG\nnot-writable\nPONG\n');
    assert.equal(r.calls, 0);
  });

  test('the same conversation fed one byte at a time gives the same answers', async () => {
    const input = `PING\nget\n${B}.1.0\r\ngetnext\n${B}.1.0\nset\n${B}.1.0\ninteger 1\nbogus\n`;
    const whole = await converse(input);
    const bytewise = await converse(input, undefined, { chunk: 1 });
    assert.equal(bytewise.out, whole.out);
    assert.equal(whole.out, `PONG\n${B}.1.0\ninteger\n100\n${B}.2.0\nstring\nfresh\nnot-writable\nNONE\n`);
  });

  test('answers come in request order even when an earlier verdict takes longer than a later one', async () => {
    const delays = [80, 0, 30];
    const decisions = [DOWN, UP, DOWN];
    let i = 0;
    const decide = () => {
      const n = i++;
      return new Promise<Decision>((resolve) => setTimeout(() => resolve(decisions[n]!), delays[n]));
    };
    const r = await converse(`get\n${B}.1.0\nPING\nget\n${B}.1.0\nget\n${B}.2.0\nPING\n`, decide);
    assert.equal(r.out, `${B}.1.0\ninteger\n200\nPONG\n${B}.1.0\ninteger\n100\n${B}.2.0\nstring\nlocal-unreachable\nPONG\n`);
  });

  test('a verdict that never comes is answered 200 at the deadline, and later requests are still answered', async () => {
    let n = 0;
    const decide = () => (n++ === 0 ? new Promise<Decision>(() => undefined) : Promise.resolve(UP));
    const r = await converse(`get\n${B}.1.0\nget\n${B}.2.0\nget\n${B}.1.0\n`, decide, { deadlineMs: 50 });
    assert.equal(r.out, `${B}.1.0\ninteger\n200\n${B}.2.0\nstring\nfresh\n${B}.1.0\ninteger\n100\n`);
  });

  test('a provider that rejects or throws is a 200 (error), not a broken conversation', async () => {
    let n = 0;
    const decide = (): Promise<Decision> => {
      n++;
      if (n === 1) return Promise.reject(new Error('boom'));
      if (n === 2) throw new Error('sync boom');
      return Promise.resolve(UP);
    };
    const r = await converse(`get\n${B}.1.0\nget\n${B}.2.0\nget\n${B}.1.0\n`, decide);
    assert.equal(r.out, `${B}.1.0\ninteger\n200\n${B}.2.0\nstring\nerror\n${B}.1.0\ninteger\n100\n`);
  });

  test('EOF: everything received is answered, a last line without its newline is no request', async () => {
    assert.equal((await converse(`PING\nget\n${B}.1.0\nPING`)).out, `PONG\n${B}.1.0\ninteger\n100\n`);
    assert.equal((await converse('')).out, '');
    assert.equal((await converse('get\n')).out, '', 'a command whose OID never came');
  });

  test('once the reader is gone nothing more is written and the session closes without EOF', async () => {
    const writes: string[] = [];
    let closed = false;
    const session = new PassPersistSession({
      base: BASE,
      probe: async () => UP,
      write: (text) => {
        writes.push(text);
        return writes.length < 2;
      },
      deadlineMs: () => 1_000,
    });
    void session.closed.then(() => (closed = true));
    session.feed(Buffer.from('PING\nPING\nPING\nPING\n'));
    await session.closed;
    assert.ok(closed);
    assert.deepEqual(writes, ['PONG\n', 'PONG\n']);
    session.feed(Buffer.from('PING\n'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(writes.length, 2);
  });

  test('the base comes from the options: a custom base answers there and only there', async () => {
    const base = parsePersistBase('.1.3.6.1.4.1.99999.7');
    let out = '';
    const session = new PassPersistSession({ base, probe: async () => UP, write: (t) => ((out += t), true), deadlineMs: () => 1_000 });
    session.feed(Buffer.from(`get\n.1.3.6.1.4.1.99999.7.1.0\nget\n${B}.1.0\n`));
    session.end();
    await session.closed;
    assert.equal(out, '.1.3.6.1.4.1.99999.7.1.0\ninteger\n100\nNONE\n');
  });
});
