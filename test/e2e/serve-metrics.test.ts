/**
 * serve's GET /metrics (docs/metrics.md) on the real pair, read by the real
 * Prometheus tools:
 * - promtool check metrics accepts a real /metrics, healthy and with the IO
 *   thread stopped;
 * - a real Prometheus scraping serve every second returns the verdict
 *   series, the lag as NaN (not absent) after STOP SLAVE IO_THREAD, and a
 *   verdict of 0 once the local server is stopped;
 * - 100 scrapes leave the heartbeat row as it was and cost at most one
 *   evaluation per --cache, counted on the server;
 * - with the local server frozen a scrape is answered within the deadline,
 *   and says that the node is DOWN.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Pair, type NodeName } from '../support/pair';
import { createKeyedHeartbeat, keyedStamp } from '../support/lb-setup';
import { makeTempDir } from '../support/run-dir';
import { parseExposition, sampleOf, samplesOf } from '../support/exposition';
import { Prometheus, type VectorSample } from '../support/prometheus';
import { promtool } from '../support/promtool';
import { httpGet, startServed, type ServedNode } from '../support/served-node';
import { until } from '../support/until';

let pair: Pair;
let dir: string;
let seq = 0;
const running: ServedNode[] = [];

async function served(extra: Record<string, string> = {}, args: string[] = []): Promise<ServedNode> {
  const s = await startServed(pair, 'a', dir, `metrics${++seq}`, { node: 'm1', timeout: '2', ...extra }, args);
  running.push(s);
  return s;
}

async function scrape(s: ServedNode): Promise<{ text: string; ms: number; contentType: string }> {
  const r = await httpGet(s.http, '/metrics');
  assert.equal(r.status, 200, r.body);
  return { text: r.body, ms: r.ms, contentType: r.headers.get('content-type') ?? '' };
}

async function comSelect(node: NodeName): Promise<number> {
  return Number((await pair.sql(node, "SHOW GLOBAL STATUS LIKE 'Com_select'"))[0]?.Value);
}

const one = (value: string) => (r: VectorSample[]) => r.length === 1 && r[0]?.value[1] === value;

describe('serve /metrics on a real pair', () => {
  before(async () => {
    pair = await Pair.start({ name: 'smetrics' });
    dir = makeTempDir('smetrics-');
    await createKeyedHeartbeat(pair);
  });
  after(async () => {
    for (const s of running) s.proc.kill();
    await pair?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    for (const s of running.splice(0)) await s.proc.stop().catch(() => s.proc.kill());
    // A test may have stopped the IO thread; restore() restarts servers, not threads.
    for (const n of ['a', 'b'] as const) if (pair.isRunning(n) && !pair.isFrozen(n)) await pair.sql(n, 'START SLAVE');
    await pair.restore();
  });

  test('promtool check metrics accepts a real /metrics, healthy and with the IO thread stopped', async () => {
    const s = await served();
    // A health check on any other path is still a health check.
    assert.match((await httpGet(s.http, '/')).body, /^UP [a-z-]+\n$/);
    const healthy = await scrape(s);
    assert.match(healthy.contentType, /^text\/plain; version=0\.0\.4/);
    const f = parseExposition(healthy.text);
    assert.equal(sampleOf(f, 'mysql_failover_answer_up').value, 1);
    assert.equal(sampleOf(f, 'mysql_failover_replication_lag_seconds', { channel: '' }).value, 0);
    let r = promtool(['check', 'metrics'], { input: healthy.text });
    assert.equal(r.code, 0, r.output);
    assert.equal(r.output.trim(), '');

    await pair.sql('a', 'STOP SLAVE IO_THREAD');
    await until(
      'the lag reads NaN',
      async () => /^mysql_failover_replication_lag_seconds\{channel=""\} NaN$/m.test((await scrape(s)).text),
      10_000,
    );
    const stopped = await scrape(s);
    assert.equal(sampleOf(parseExposition(stopped.text), 'mysql_failover_replication_io_running', { channel: '' }).value, 0);
    r = promtool(['check', 'metrics'], { input: stopped.text });
    assert.equal(r.code, 0, r.output);
    assert.equal(r.output.trim(), '');
  });

  test('a real Prometheus scraping serve: the verdict series, NaN lag after STOP SLAVE IO_THREAD, verdict 0 with the server stopped', async () => {
    const s = await served();
    const job = 'mysql-failover';
    const prom = await Prometheus.start({ jobs: [{ name: job, targets: [`127.0.0.1:${s.http}`], labels: { pair: 'e2e', node: 'a' } }] });
    try {
      await prom.waitForQuery('the target is up', `up{job="${job}"}`, one('1'));
      await prom.waitForQuery('answer_up reads 1', `mysql_failover_answer_up{job="${job}"}`, one('1'));
      const states = await prom.query(`mysql_failover_state{job="${job}"}`);
      assert.equal(states.length, 6, 'every state is a series');
      assert.deepEqual(
        states.filter((x) => x.value[1] === '1').map((x) => x.metric['state']),
        ['up'],
      );

      await pair.sql('a', 'STOP SLAVE IO_THREAD');
      const [lag] = await prom.waitForQuery('the lag reads NaN', `mysql_failover_replication_lag_seconds{job="${job}"}`, one('NaN'));
      assert.equal(lag?.metric['channel'], undefined, 'the default channel, stored without the label');

      await pair.stop('a');
      await prom.waitForQuery('answer_up reads 0', `mysql_failover_answer_up{job="${job}"}`, one('0'));
      const [reason] = await prom.query(`mysql_failover_reason_info{job="${job}"}`);
      assert.equal(reason?.metric['reason'], 'local-unreachable');
    } finally {
      await prom.stop();
    }
  });

  test('100 scrapes leave the heartbeat row unchanged and cost at most one evaluation per --cache (counted on the server)', async () => {
    await pair.sql('a', "REPLACE INTO mysql_failover.heartbeat (node, lastcheck) VALUES ('m1', UNIX_TIMESTAMP() - 3)");
    const stamp = await keyedStamp(pair, 'a', 'm1');
    const s = await served({}, ['--cache=1']);
    const before = await comSelect('a');
    const t0 = Date.now();
    for (let i = 0; i < 100; i++) await scrape(s);
    const elapsed = Date.now() - t0;
    const evaluations = (await comSelect('a')) - before;
    assert.ok(evaluations >= 1, 'the scrapes did evaluate');
    assert.ok(evaluations <= Math.ceil(elapsed / 1000) + 1, `${evaluations} evaluations in ${elapsed} ms with --cache 1`);
    assert.equal(await keyedStamp(pair, 'a', 'm1'), stamp, 'no scrape stamped');
    const f = parseExposition((await scrape(s)).text);
    assert.ok(sampleOf(f, 'mysql_failover_checks_total').value <= evaluations + 1);
    assert.equal(
      samplesOf(f, 'mysql_failover_probes_total').reduce((n, x) => n + x.value, 0),
      0,
      'a scrape is not a probe',
    );
  });

  test('the local server frozen: a scrape is answered within the deadline and shows the node DOWN', async () => {
    const s = await served({ timeout: '2' }, ['--cache=0']);
    assert.equal(sampleOf(parseExposition((await scrape(s)).text), 'mysql_failover_answer_up').value, 1);
    pair.freeze('a');
    try {
      const frozen = await scrape(s);
      // --timeout 2, plus the time the request itself may take to arrive.
      assert.ok(frozen.ms < 2_000 + 1_000, `the scrape took ${frozen.ms} ms`);
      const f = parseExposition(frozen.text);
      assert.equal(sampleOf(f, 'mysql_failover_answer_up').value, 0);
      assert.equal(sampleOf(f, 'mysql_failover_state', { state: 'down' }).value, 1);
      const again = await scrape(s);
      assert.ok(again.ms < 2_000 + 1_000, `the next scrape took ${again.ms} ms`);
    } finally {
      pair.thaw('a');
    }
  });
});
