/**
 * Side by side with Debian's prometheus-mysqld-exporter on the real MariaDB
 * pair: the replication series each one exposes for node b while it
 * replicates, after STOP SLAVE IO_THREAD, and while its source is down (IO
 * thread reconnecting). The exporter is measured, not assumed: if a later
 * version stops dropping the lag series, these tests fail and
 * docs/metrics-vs-mysqld-exporter.md must be updated.
 *
 * Ours is the real `serve` on node b (--cache 0, so each scrape evaluates
 * then), scraped right after the exporter. Only the replication series are
 * compared.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { parseExposition, samplesOf, type Family } from '../support/exposition';
import { MysqldExporter } from '../support/mysqld-exporter';
import { Pair } from '../support/pair';
import { makeTempDir } from '../support/run-dir';
import { httpGet, startServed, type ServedNode } from '../support/served-node';
import { until } from '../support/until';

const EXPORTER_USER = 'mysqld_exporter';
const EXPORTER_PASSWORD = randomBytes(12).toString('hex');

/** The exporter's replication families, and ours, for the same quantities. */
const COMPARED = [
  { what: 'lag', theirs: 'mysql_slave_status_seconds_behind_master', ours: 'mysql_failover_replication_lag_seconds' },
  { what: 'IO thread running', theirs: 'mysql_slave_status_slave_io_running', ours: 'mysql_failover_replication_io_running' },
  { what: 'SQL thread running', theirs: 'mysql_slave_status_slave_sql_running', ours: 'mysql_failover_replication_sql_running' },
  {
    what: 'last IO error',
    theirs: 'mysql_slave_status_last_io_errno',
    ours: 'mysql_failover_replication_last_error_number',
    oursLabels: { thread: 'io' },
  },
  {
    what: 'last SQL error',
    theirs: 'mysql_slave_status_last_sql_errno',
    ours: 'mysql_failover_replication_last_error_number',
    oursLabels: { thread: 'sql' },
  },
] as const;

interface Observation {
  theirs: Map<string, Family>;
  ours: Map<string, Family>;
  /** what -> [exporter's sample text or 'absent', ours] */
  table: Record<string, [string, string]>;
}

const values = (f: Map<string, Family>, name: string, labels: Record<string, string> = {}): string[] =>
  samplesOf(f, name, labels).map((s) => s.text);

describe('side by side with prometheus-mysqld-exporter, node b of a real pair', () => {
  let pair: Pair;
  let exporter: MysqldExporter;
  let serve: ServedNode;
  /** The exporter's families while b replicates, to see what stopping takes away. */
  let replicatingFamilies: Set<string> | undefined;

  before(async () => {
    pair = await Pair.start({ name: 'vsexp' });
    await pair.withConnection('b', async (conn) => {
      await conn.query('SET SESSION sql_log_bin = 0');
      await conn.query('CREATE USER ?@? IDENTIFIED BY ?', [EXPORTER_USER, '127.0.0.1', EXPORTER_PASSWORD]);
      // The exporter's documented grants (PROCESS, REPLICATION CLIENT, SELECT), in MariaDB >= 10.5.9's
      // terms: SHOW SLAVE STATUS needs SLAVE MONITOR there, REPLICATION CLIENT became BINLOG MONITOR.
      await conn.query('GRANT PROCESS, SLAVE MONITOR, BINLOG MONITOR, SELECT ON *.* TO ?@?', [EXPORTER_USER, '127.0.0.1']);
    });
    exporter = await MysqldExporter.start({ host: '127.0.0.1', port: pair.b.port, user: EXPORTER_USER, password: EXPORTER_PASSWORD });
    serve = await startServed(pair, 'b', makeTempDir('vsexp-'), 'serve', { table: 'status_example.lastcheck', timeout: '2' }, [
      '--cache=0',
    ]);
  });

  after(async () => {
    await exporter?.stop();
    await serve?.proc.stop().catch(() => serve.proc.kill());
    await pair?.destroy();
  });

  /** Scrapes the exporter, then serve's /metrics for the same node. */
  async function observe(t: TestContext, situation: string): Promise<Observation> {
    const theirs = parseExposition(await exporter.scrape());
    const scraped = await httpGet(serve.http, '/metrics');
    assert.equal(scraped.status, 200, scraped.body);
    const ours = parseExposition(scraped.body);
    const rows = await pair.sql('b', 'SHOW ALL SLAVES STATUS');
    const table: Record<string, [string, string]> = {};
    for (const c of COMPARED) {
      const oursLabels = 'oursLabels' in c ? c.oursLabels : {};
      table[c.what] = [values(theirs, c.theirs).join(',') || 'absent', values(ours, c.ours, oursLabels).join(',') || 'absent'];
    }
    const io = rows[0]?.['Slave_IO_Running'];
    const lag = rows[0]?.['Seconds_Behind_Master'];
    t.diagnostic(`${situation} (Slave_IO_Running=${String(io)}, Seconds_Behind_Master=${String(lag)}):`);
    for (const [what, [a, b]] of Object.entries(table)) t.diagnostic(`  ${what.padEnd(20)} exporter: ${a.padEnd(8)} ours: ${b}`);
    const verdict = /^mysql_failover_(?:replication_\w+|answer_up|raw_up|reason_info)[{ ]|^mysql_failover_state\{.*\} 1$/;
    for (const line of scraped.body.split('\n').filter((l) => verdict.test(l))) t.diagnostic(`  ours: ${line}`);
    return { theirs, ours, table };
  }

  test('the exporter gets no password in argv and answers with mysql_up 1', async () => {
    assert.ok(!exporter.argv.some((a) => a.includes(EXPORTER_PASSWORD)));
    const f = parseExposition(await exporter.scrape());
    assert.deepEqual(values(f, 'mysql_up'), ['1']);
  });

  test('replicating: both show the lag (0) and both threads running', async (t) => {
    await pair.waitReplicationRunning('b');
    const o = await observe(t, 'replicating');
    assert.deepEqual(o.table, {
      lag: ['0', '0'],
      'IO thread running': ['1', '1'],
      'SQL thread running': ['1', '1'],
      'last IO error': ['0', '0'],
      'last SQL error': ['0', '0'],
    });
    // The exporter labels the default connection as we do: an empty value.
    assert.equal(samplesOf(o.theirs, 'mysql_slave_status_seconds_behind_master')[0]?.labels['channel_name'], '');
    replicatingFamilies = new Set([...o.theirs.keys()].filter((n) => n.startsWith('mysql_slave_status_')));
  });

  test("STOP SLAVE IO_THREAD: the exporter's lag series disappears; ours reads NaN", async (t) => {
    await pair.sql('b', 'STOP SLAVE IO_THREAD');
    await until('b reports the IO thread stopped', async () => (await pair.slaveStatus('b'))?.['Slave_IO_Running'] === 'No');
    const o = await observe(t, 'STOP SLAVE IO_THREAD');
    assert.deepEqual(o.table, {
      lag: ['absent', 'NaN'],
      'IO thread running': ['0', '0'],
      'SQL thread running': ['1', '1'],
      'last IO error': ['0', '0'],
      'last SQL error': ['0', '0'],
    });
    // The family is gone entirely, not just the sample: an alert on it has nothing to evaluate.
    // It is the only replica-status family that goes.
    assert.ok(replicatingFamilies, 'the replicating case ran first');
    const stopped = new Set([...o.theirs.keys()].filter((n) => n.startsWith('mysql_slave_status_')));
    assert.deepEqual(
      [...replicatingFamilies].filter((n) => !stopped.has(n)),
      ['mysql_slave_status_seconds_behind_master'],
    );
    assert.deepEqual(
      [...stopped].filter((n) => !replicatingFamilies?.has(n)),
      [],
    );
    assert.deepEqual(values(o.theirs, 'mysql_up'), ['1']);
    assert.deepEqual(values(o.theirs, 'mysql_exporter_last_scrape_error'), ['0']);
  });

  test("its source down (IO thread reconnecting): the exporter's lag series disappears again; ours reads NaN", async (t) => {
    await pair.sql('b', 'START SLAVE IO_THREAD');
    await pair.waitReplicationRunning('b');
    await pair.stop('a');
    await until('b reports the IO thread reconnecting', async () => (await pair.slaveStatus('b'))?.['Slave_IO_Running'] === 'Connecting');
    const o = await observe(t, 'source down');
    assert.equal(o.table['lag']?.[0], 'absent');
    assert.equal(o.table['lag']?.[1], 'NaN');
    assert.deepEqual(o.table['IO thread running'], ['0', '0']);
    assert.deepEqual(o.table['SQL thread running'], ['1', '1']);
    assert.equal(o.theirs.has('mysql_slave_status_seconds_behind_master'), false);
  });
});
