/**
 * A real Prometheus (test/support/prometheus.ts) scrapes the output of
 * src/answers/metrics.ts, served by a small HTTP server in this test, every
 * second, with prometheus/alerts.yml loaded: its HTTP API returns the verdict
 * series, and after an evaluation with the IO thread stopped it returns the
 * lag series as NaN (not absent) and the replication alert goes pending.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { STATES, createMetrics, type FailoverMetrics } from '../../src/answers/metrics';
import { Prometheus, type VectorSample } from '../support/prometheus';
import { healthySnapshot, ioStoppedSnapshot } from '../support/snapshots';

const ALERTS = path.resolve(__dirname, '..', '..', '..', 'prometheus', 'alerts.yml');
const JOB = 'mysql-failover';
const TARGET_LABELS = { pair: 'e2e', node: 'a' };

const one = (value: string) => (r: VectorSample[]) => r.length === 1 && r[0]?.value[1] === value;

describe('a real Prometheus scraping the metrics', () => {
  let metrics: FailoverMetrics;
  let server: http.Server;
  let prom: Prometheus | undefined;
  let scrapes = 0;

  before(async () => {
    metrics = createMetrics({ version: '0.0.0-e2e' });
    metrics.observeEvaluation(healthySnapshot());
    server = http.createServer((req, res) => {
      if (req.method !== 'GET' || req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      scrapes++;
      metrics.render(Date.now()).then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    prom = await Prometheus.start({
      jobs: [{ name: JOB, targets: [`127.0.0.1:${port}`], labels: TARGET_LABELS }],
      ruleFiles: [ALERTS],
    });
  });

  after(async () => {
    await prom?.stop();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  test('its API returns the verdict series of a healthy node, with every state and the target labels', async () => {
    const p = prom as Prometheus;
    await p.waitForQuery('the target is up', `up{job="${JOB}"}`, one('1'));
    const [up] = await p.waitForQuery('answer_up reads 1', `mysql_failover_answer_up{job="${JOB}"}`, one('1'));
    assert.equal(up?.metric['pair'], 'e2e');
    assert.equal(up?.metric['node'], 'a');
    assert.deepEqual(await p.query(`mysql_failover_raw_up{job="${JOB}"}`).then((r) => r.map((s) => s.value[1])), ['1']);
    const states = await p.query(`mysql_failover_state{job="${JOB}"}`);
    assert.deepEqual(new Set(states.map((s) => s.metric['state'])), new Set(STATES));
    assert.deepEqual(
      states.filter((s) => s.value[1] === '1').map((s) => s.metric['state']),
      ['up'],
    );
    assert.deepEqual(
      (await p.query(`mysql_failover_replication_lag_seconds{job="${JOB}"}`)).map((s) => s.value[1]),
      ['0'],
    );
    assert.ok(scrapes >= 1);
  });

  test('after an evaluation with the IO thread stopped, the lag series reads NaN (not absent) and the verdict 0', async () => {
    const p = prom as Prometheus;
    metrics.observeEvaluation(ioStoppedSnapshot());
    const [lag] = await p.waitForQuery(
      'the lag series reads NaN',
      `mysql_failover_replication_lag_seconds{job="${JOB}",channel=""}`,
      one('NaN'),
    );
    // channel="" is stored as no channel label at all.
    assert.equal(lag?.metric['channel'], undefined);
    assert.deepEqual(
      (await p.query(`mysql_failover_replication_io_running{job="${JOB}"}`)).map((s) => s.value[1]),
      ['0'],
    );
    assert.deepEqual(
      (await p.query(`mysql_failover_replication_sql_running{job="${JOB}"}`)).map((s) => s.value[1]),
      ['1'],
    );
    await p.waitForQuery('answer_up reads 0', `mysql_failover_answer_up{job="${JOB}"}`, one('0'));
    const [reason] = await p.query(`mysql_failover_reason_info{job="${JOB}"}`);
    assert.equal(reason?.metric['reason'], 'replication-stopped');
  });

  test('prometheus/alerts.yml evaluates without error on the scraped series, and the replication alert goes pending', async () => {
    const p = prom as Prometheus;
    await p.waitForQuery(
      'MySQLFailoverReplicationStopped pending',
      'ALERTS{alertname="MySQLFailoverReplicationStopped",alertstate="pending"}',
      (r) => r.length === 1 && r[0]?.metric['node'] === 'a',
    );
    await p.waitForQuery(
      'MySQLFailoverNoNodeTakesTraffic pending for the pair',
      'ALERTS{alertname="MySQLFailoverNoNodeTakesTraffic",alertstate="pending"}',
      (r) => r.length === 1 && r[0]?.metric['pair'] === 'e2e',
    );
    const rules = await p.rules();
    assert.equal(rules.length, 7);
    for (const r of rules) assert.equal(r.health, 'ok', `${r.name}: ${r.lastError ?? ''}`);
  });
});
