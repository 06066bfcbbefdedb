/**
 * `mysql-failover-check serve` as a process against a real MariaDB pair,
 * probed over HTTP and the agent protocol the way HAProxy does. What the
 * local server counts (Com_select: one heartbeat read per check) proves
 * single-flight and the cache; restarting, freezing and draining the node
 * prove that the resident process follows the servers without a restart.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pair, type NodeName } from '../support/pair';
import { nodeOptionFile } from '../support/lb-setup';
import { freePort } from '../support/run-dir';
import { ask, parseResponse } from '../support/exchange';
import { runBin } from '../support/run-bin';
import { ServeProcess } from '../support/serve-process';
import { until } from '../support/until';

const TABLE = 'status_example.lastcheck';
let pair: Pair;
let dir: string;
const running: ServeProcess[] = [];

interface Served {
  proc: ServeProcess;
  http: number;
  agent: number;
  log: string;
}

async function startServe(name: string, extra: Record<string, string>, args: string[] = []): Promise<Served> {
  const log = join(dir, `${name}.log`);
  const file = nodeOptionFile(pair, 'a', dir, name, { table: TABLE, 'log-file': log, ...extra });
  const http = await freePort();
  const agent = await freePort();
  const proc = await ServeProcess.start([`--defaults-file=${file}`, `--http=127.0.0.1:${http}`, `--agent=127.0.0.1:${agent}`, ...args], 2);
  running.push(proc);
  return { proc, http, agent, log };
}

async function get(port: number, request = 'GET / HTTP/1.0\r\n\r\n'): Promise<{ status: number; body: string; ms: number }> {
  const a = await ask(port, request, { timeoutMs: 20_000 });
  const r = parseResponse(a.text);
  return { status: r.status, body: r.body, ms: a.ms };
}

async function comSelect(node: NodeName): Promise<number> {
  const rows = await pair.sql(node, "SHOW GLOBAL STATUS LIKE 'Com_select'");
  return Number(rows[0]?.Value);
}

function logLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  } catch {
    return [];
  }
}

/** Sessions of our monitor user (mfc_monitor) in `node`'s processlist (SHOW, so Com_select does not move). */
async function monitorSessions(node: NodeName): Promise<Array<{ command: string; state: string }>> {
  const rows = await pair.sql(node, 'SHOW FULL PROCESSLIST');
  return rows.filter((r) => r.User === pair.monitorUser).map((r) => ({ command: String(r.Command), state: String(r.State) }));
}

describe('serve: usage', () => {
  test('needs a listener with an explicit address; its options belong to serve only', async () => {
    for (const args of [
      ['serve', '--no-defaults'],
      ['serve', '--no-defaults', '--http=8080'],
      ['serve', '--no-defaults', '--agent=localhost'],
      ['serve', '--no-defaults', '--http=127.0.0.1:80', '--cache=soon'],
      ['status', '--no-defaults', '--cache=5'],
      ['serve', '--no-defaults', '--http=127.0.0.1:80', '--json'],
    ]) {
      const r = await runBin('mysql-failover-check', args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^mysql-failover-check: /);
    }
  });
});

describe('serve on a real pair', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mfc-serve-'));
    pair = await Pair.start({ name: 'serve' });
    await pair.sql('a', `UPDATE ${TABLE} SET lastcheck = UNIX_TIMESTAMP()`);
    await pair.waitCaughtUp('b');
  });
  after(async () => {
    for (const p of running) p.kill();
    await pair?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => pair.restore());

  test('answers HTTP like mysql-failover-http and the agent like mysql-failover-agent; a bad request costs no check', async () => {
    const s = await startServe('answers', {});
    const ok = await get(s.http);
    assert.equal(ok.status, 200);
    assert.equal(ok.body, 'UP fresh\n');
    const head = await get(s.http, 'HEAD / HTTP/1.1\r\nHost: lb\r\n\r\n');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal((await ask(s.agent, '')).text, 'up ready\n');
    const checks = logLines(s.log).length;
    assert.equal((await get(s.http, 'GET / HTTP/3\r\n\r\n')).status, 400);
    assert.equal((await get(s.http, 'DELETE / HTTP/1.1\r\n\r\n')).status, 405);
    assert.equal(logLines(s.log).length, checks, 'no check for a rejected request');
    assert.match(logLines(s.log)[0] ?? '', /mysql-failover-check-serve pid=\d+ verdict=UP reason=fresh/);
    assert.equal(s.proc.stderr, '');
  });

  test('single-flight with --cache 0: while a check waits on the server, a burst of probes adds no query; all share its answer', async () => {
    const s = await startServe('flight', { timeout: '20' }, ['--cache=0']);
    assert.equal((await get(s.http)).status, 200); // sessions open
    const probes = 250;
    const before = await comSelect('a');
    const checksBefore = logLines(s.log).length;
    let answers: Array<{ status: number; body: string; ms: number }> = [];
    await pair.withConnection('a', async (conn) => {
      // Holds the heartbeat read of the next check on a metadata lock.
      await conn.query(`LOCK TABLES ${TABLE} WRITE`);
      const pending = Promise.all(Array.from({ length: probes }, () => get(s.http)));
      await until('the check waits on the lock', async () =>
        (await monitorSessions('a')).some((p) => p.command === 'Query' && /lock/i.test(p.state)),
      );
      // Give the burst time to arrive; the server must still see one query only.
      await new Promise((r) => setTimeout(r, 1500));
      const busy = (await monitorSessions('a')).filter((p) => p.command === 'Query');
      assert.equal(busy.length, 1, `queries in flight: ${JSON.stringify(busy)}`);
      await conn.query('UNLOCK TABLES');
      answers = await pending;
    });
    assert.equal(answers.length, probes);
    assert.ok(
      answers.every((a) => a.status === 200 && a.body === 'UP fresh\n'),
      JSON.stringify(answers.find((a) => a.status !== 200)),
    );
    const selects = (await comSelect('a')) - before;
    const checks = logLines(s.log).length - checksBefore;
    assert.equal(selects, checks, 'one heartbeat read per check');
    // The held check, plus at most one for requests read after it ended.
    assert.ok(checks >= 1 && checks <= 2, `${checks} checks for ${probes} probes`);
  });

  test('single-flight with the default cache: a burst of probes costs one check per cache period', async () => {
    const s = await startServe('cache', {});
    assert.equal((await get(s.http)).status, 200);
    const before = await comSelect('a');
    const t0 = Date.now();
    const answers = await Promise.all(Array.from({ length: 250 }, () => get(s.http)));
    const burstMs = Date.now() - t0;
    const selects = (await comSelect('a')) - before;
    assert.ok(answers.every((a) => a.status === 200));
    // The default cache is 1 s: a new check at most once per second of the burst, plus the boundary.
    assert.ok(selects <= Math.ceil(burstMs / 1000) + 1, `${selects} checks in ${burstMs} ms`);
  });

  test('the maintenance file flips the answer at once even with a long --cache, and back', async () => {
    const maintenance = join(dir, 'maintenance');
    const s = await startServe('maint', { 'maintenance-file': maintenance }, ['--cache=600']);
    assert.equal((await get(s.http)).status, 200);
    writeFileSync(maintenance, '');
    try {
      const m = await get(s.http);
      assert.equal(m.status, 503);
      assert.equal(m.body, 'DOWN maintenance\n');
      assert.equal((await ask(s.agent, '')).text, 'maint #maintenance\n');
    } finally {
      rmSync(maintenance, { force: true });
    }
    assert.equal((await get(s.http)).status, 200);
    assert.equal((await ask(s.agent, '')).text, 'up ready\n');
  });

  test('reconnects after the local server restarts: DOWN while it is away, UP when it is back, same process', async () => {
    const s = await startServe('restart', { timeout: '2' }, ['--cache=0']);
    assert.equal((await get(s.http)).status, 200);
    await pair.stop('a');
    const down = await get(s.http);
    assert.equal(down.status, 503);
    assert.equal(down.body, 'DOWN local-unreachable\n');
    assert.equal((await ask(s.agent, '')).text, 'down ready #local-unreachable\n');
    await pair.startNode('a');
    await until('UP after the restart', async () => (await get(s.http)).status === 200);
    assert.equal(s.proc.stderr, '');
  });

  test('a frozen local server: every probe is answered DOWN within --timeout; it recovers after SIGCONT', async () => {
    const timeoutMs = 1000;
    const s = await startServe('frozen', { timeout: String(timeoutMs / 1000) }, ['--cache=0']);
    assert.equal((await get(s.http)).status, 200);
    pair.freeze('a');
    try {
      for (let round = 0; round < 3; round++) {
        const answers = await Promise.all(Array.from({ length: 20 }, () => get(s.http)));
        for (const a of answers) {
          assert.equal(a.status, 503);
          assert.ok(a.ms < timeoutMs + 500, `answered after ${a.ms} ms with --timeout ${timeoutMs / 1000}`);
        }
      }
    } finally {
      pair.thaw('a');
    }
    await until('UP after SIGCONT', async () => (await get(s.http)).status === 200);
  });

  test('SIGTERM during a check: the listener closes at once, the probe in flight still gets its answer, exit 0', async () => {
    const s = await startServe('inflight', { timeout: '20' }, ['--cache=0']);
    assert.equal((await get(s.http)).status, 200);
    await pair.withConnection('a', async (conn) => {
      await conn.query(`LOCK TABLES ${TABLE} WRITE`);
      let unlocked = false;
      try {
        const inFlight = get(s.http);
        await until('the check waits on the lock', async () =>
          (await monitorSessions('a')).some((p) => p.command === 'Query' && /lock/i.test(p.state)),
        );
        const stopped = s.proc.stop('SIGTERM');
        await until('new connections refused', async () => (await ask(s.http, '', { timeoutMs: 2000 })).error === 'ECONNREFUSED');
        await conn.query('UNLOCK TABLES');
        unlocked = true;
        const answer = await inFlight;
        assert.equal(answer.status, 200);
        assert.equal(answer.body, 'UP fresh\n');
        assert.equal((await stopped).code, 0);
      } finally {
        if (!unlocked) await conn.query('UNLOCK TABLES');
      }
    });
  });

  test('SIGTERM: exits 0, stops listening and leaves no session on either server', async () => {
    const s = await startServe('sigterm', {});
    assert.equal((await get(s.http)).status, 200);
    assert.ok((await monitorSessions('a')).length >= 1);
    // Stop the other tests' processes too: the processlist must then be empty of our user.
    for (const p of running) if (p !== s.proc) await p.stop();
    const exit = await s.proc.stop('SIGTERM');
    assert.equal(exit.code, 0);
    assert.equal(s.proc.stderr, '');
    const refused = await ask(s.http, 'GET / HTTP/1.0\r\n\r\n');
    assert.equal(refused.text, '');
    await until('no mfc_ session on a', async () => (await monitorSessions('a')).length === 0, 5000);
    await until('no mfc_ session on b', async () => (await monitorSessions('b')).length === 0, 5000);
  });
});
