/**
 * mysql-failover-http as a process, run per connection with the socket as
 * stdin/stdout (test/support/inetd.ts, what xinetd and systemd Accept=yes
 * do), without a database: a fake listener stands in for MySQL and counts
 * connections, to prove which answers involve no database work. The answers
 * from a real MariaDB pair are in test/e2e/haproxy-httpchk.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binPath, type Inetd } from '../support/inetd';
import { ResponderFixture, assertQuiet } from '../support/responder-fixture';
import { ask, FakeServer, parseResponse } from '../support/exchange';

let fx: ResponderFixture;
let dir: string;
let hang: FakeServer;
let maintenanceFile: string;

function optionFile(name: string, lines: string[]): string {
  return fx.optionFile(name, lines, '"s3cret pw"');
}

function responder(args: string[]): Promise<Inetd> {
  return fx.responder('mysql-failover-http', args);
}

before(async () => {
  fx = await ResponderFixture.start('mfc-http-');
  ({ dir, hang, maintenanceFile } = fx);
});

after(() => fx?.close());

describe('requests that get no database work', () => {
  let d: Inetd;
  before(async () => {
    d = await responder([`--defaults-file=${optionFile('hang', ['host=127.0.0.1', `port=${hang.port}`, 'timeout=2'])}`]);
  });

  test('malformed requests get 400, other methods 405, and the database is never contacted', async () => {
    const before = hang.connections;
    const cases: Array<[string, number]> = [
      ['GET / HTTP/1.0 junk\r\n\r\n', 400],
      ['GET / HTTP/3\r\n\r\n', 400],
      ['\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n', 400],
      ['GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc', 400],
      ['POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n', 405],
      ['DELETE / HTTP/1.1\r\n\r\n', 405],
    ];
    for (const [request, status] of cases) {
      const a = await ask(d.port, request);
      const r = parseResponse(a.text);
      assert.equal(r.status, status, JSON.stringify(request));
      assert.equal(r.headers.get('connection'), 'close');
      assert.equal(Number(r.headers.get('content-length')), r.body.length);
      assert.match(r.body, /^[^\n]+\n$/);
    }
    assert.equal(hang.connections, before, 'no connection to the database');
    assertQuiet(d);
  });

  test('an incomplete request is answered 400 when the client half-closes, and after 1 s when it does not', async () => {
    const before = hang.connections;
    const closed = await ask(d.port, 'GET / HTTP/1.0\r\n', { halfClose: true });
    assert.equal(parseResponse(closed.text).status, 400);
    assert.match(parseResponse(closed.text).body, /closed before/);
    const silent = await ask(d.port, '');
    assert.equal(parseResponse(silent.text).status, 400);
    assert.match(parseResponse(silent.text).body, /within 1000 ms/);
    assert.ok(silent.ms >= 1000 && silent.ms < 4000, `answered after ${silent.ms} ms`);
    assert.equal(hang.connections, before);
    assertQuiet(d);
  });

  test('a request larger than 8 KiB is cut off at 8 KiB and answered 400', async () => {
    const big = `GET / HTTP/1.1\r\nX-Pad: ${'a'.repeat(9000)}\r\n\r\n`;
    const a = await ask(d.port, big);
    assert.equal(parseResponse(a.text).status, 400);
    assert.match(parseResponse(a.text).body, /larger than 8192 bytes/);
    assertQuiet(d);
  });

  test('the maintenance file answers 503 "DOWN maintenance" without touching the database', async () => {
    const m = await responder([
      `--defaults-file=${optionFile('maint', ['host=127.0.0.1', `port=${hang.port}`, `maintenance-file=${maintenanceFile}`])}`,
    ]);
    writeFileSync(maintenanceFile, '');
    try {
      const before = hang.connections;
      for (const method of ['GET', 'OPTIONS', 'HEAD']) {
        const r = parseResponse((await ask(m.port, `${method} / HTTP/1.0\r\n\r\n`)).text);
        assert.equal(r.status, 503);
        assert.equal(r.body, method === 'HEAD' ? '' : 'DOWN maintenance\n');
        assert.equal(r.headers.get('content-length'), '17');
      }
      assert.equal(hang.connections, before, 'no connection to the database in maintenance');
    } finally {
      rmSync(maintenanceFile, { force: true });
    }
    assertQuiet(m);
  });
});

describe('failing safe', () => {
  test('a hung database is answered 503 within --timeout, and the body names no host and no secret', async () => {
    const d = await responder([
      `--defaults-file=${optionFile('hang1', ['host=127.0.0.1', `port=${hang.port}`, `peer=127.0.0.1:${hang.port}`, 'timeout=1'])}`,
    ]);
    const a = await ask(d.port, 'GET / HTTP/1.1\r\nHost: lb\r\n\r\n');
    const r = parseResponse(a.text);
    assert.equal(r.status, 503);
    assert.equal(r.body, 'DOWN local-unreachable\n');
    assert.ok(a.ms < 2000, `answered after ${a.ms} ms with --timeout 1`);
    assert.ok(!a.text.includes('127.0.0.1') && !a.text.includes('s3cret') && !a.text.includes(String(hang.port)));
    assertQuiet(d);
  });

  test('bad options, stray arguments and a missing option file are 503 "DOWN error", after reading the request', async () => {
    for (const args of [['--no-such-option'], ['--timeout=soon'], ['stray'], ['--defaults-file=/nonexistent/my.cnf']]) {
      const d = await responder(args);
      const r = parseResponse((await ask(d.port, 'GET / HTTP/1.0\r\n\r\n')).text);
      assert.equal(r.status, 503, args.join(' '));
      assert.equal(r.body, 'DOWN error\n');
      const bad = parseResponse((await ask(d.port, 'BAD\r\n\r\n')).text);
      assert.equal(bad.status, 400, 'the request is judged first');
      assertQuiet(d);
    }
  });

  test('a request that arrives in pieces is read whole', async () => {
    const d = await responder([`--defaults-file=${optionFile('maint2', [`maintenance-file=${join(dir, 'always')}`])}`]);
    writeFileSync(join(dir, 'always'), '');
    const a = await ask(d.port, 'GET / HTTP/1.1\r\nHost: lb\r\nUser-Agent: check\r\n\r\n', { pieces: 5, gapMs: 60 });
    assert.equal(parseResponse(a.text).status, 503);
    assert.equal(parseResponse(a.text).body, 'DOWN maintenance\n');
    assertQuiet(d);
  });

  test("the option group may hold the agent's own option without breaking the HTTP responder", async () => {
    const d = await responder([
      `--defaults-file=${optionFile('agentkey', ['agent-maintenance=drain', `maintenance-file=${join(dir, 'always')}`])}`,
    ]);
    writeFileSync(join(dir, 'always'), '');
    assert.equal(parseResponse((await ask(d.port, 'GET / HTTP/1.0\r\n\r\n')).text).body, 'DOWN maintenance\n');
    assertQuiet(d);
  });
});

describe('run from a pipe or a terminal', () => {
  test('stdin may be a pipe (printf ... | mysql-failover-http)', () => {
    const r = spawnSync(binPath('mysql-failover-http'), [`--maintenance-file=${dir}`, '--no-defaults'], {
      input: 'HEAD / HTTP/1.0\r\n\r\n',
      encoding: 'latin1',
      timeout: 10_000,
    });
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^HTTP\/1\.1 503 Service Unavailable\r\n[^]*\r\n\r\n$/);
  });

  test('--help and --version print text, not HTTP', () => {
    const help = spawnSync(binPath('mysql-failover-http'), ['--help'], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: mysql-failover-http/);
    assert.match(help.stdout, /--maintenance-file/);
    const version = spawnSync(binPath('mysql-failover-http'), ['--version'], { encoding: 'utf8', timeout: 10_000 });
    assert.match(version.stdout, /^mysql-failover-http \d+\.\d+\.\d+\n$/);
  });
});
