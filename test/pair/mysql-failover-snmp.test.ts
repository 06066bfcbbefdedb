/**
 * mysql-failover-snmp against a real MariaDB master-master pair, run as a
 * subprocess the way snmpd's extend runs it. Every case also asserts that
 * nothing reaches stderr.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pair, quoteOptionValue, type NodeName } from '../support/pair';
import { runBin, type BinResult } from '../support/run-bin';

const TABLE = 'status_example.lastcheck';
let pair: Pair;
let dir: string;

function optionFile(node: NodeName, extra: Record<string, string> = {}): string {
  const local = pair.node(node);
  const peer = pair.node(Pair.other(node));
  const file = join(dir, `${node}-${Object.keys(extra).join('-') || 'base'}.cnf`);
  const lines = [
    '[client]',
    `user=${quoteOptionValue(pair.monitorUser)}`,
    `password=${quoteOptionValue(pair.monitorPassword)}`,
    '[mysql-failover-check]',
    'host=127.0.0.1',
    `port=${local.port}`,
    `peer=127.0.0.1:${peer.port}`,
    `table=${TABLE}`,
    'timeout=2',
    `log-file=${join(dir, 'check.log')}`,
    ...Object.entries(extra).map(([k, v]) => `${k}=${v}`),
  ];
  writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
  return file;
}

async function snmp(node: NodeName, extra: Record<string, string> = {}, args: string[] = []): Promise<BinResult> {
  const r = await runBin('mysql-failover-snmp', [`--defaults-file=${optionFile(node, extra)}`, ...args]);
  assert.equal(r.stderr, '', 'the SNMP executable must never write to stderr');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^(100|200)\n$/, `stdout must be exactly 100 or 200 and a newline, got ${JSON.stringify(r.stdout)}`);
  return r;
}

function lastLogLine(): string {
  const lines = readFileSync(join(dir, 'check.log'), 'utf8').trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

/**
 * Sets the stamp `age` seconds in the past on `node`. The statement is
 * replicated: the original table has no primary key, so row-based
 * replication matches rows by their full image, and an unlogged change would
 * break the peer's SQL thread at the next stamp.
 */
async function setStampAge(node: NodeName, age: number): Promise<void> {
  await pair.sql(node, `UPDATE ${TABLE} SET lastcheck = UNIX_TIMESTAMP() - ?`, [age]);
  const other = Pair.other(node);
  if (pair.isRunning(other) && !pair.isFrozen(other)) await pair.waitCaughtUp(other);
}

async function stampAge(node: NodeName): Promise<number> {
  const rows = await pair.sql(node, `SELECT UNIX_TIMESTAMP() - lastcheck AS age FROM ${TABLE}`);
  return Number(rows[0]?.age);
}

async function withSqlLogBinOff(node: NodeName, statements: string[]): Promise<void> {
  await pair.withConnection(node, async (c) => {
    await c.query('SET SESSION sql_log_bin = 0');
    for (const s of statements) await c.query(s);
  });
}

describe('mysql-failover-snmp on a real pair', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mfc-snmp-'));
    pair = await Pair.start({ name: 'snmp' });
  });
  after(async () => {
    await pair?.destroy();
    // The option files in it hold the monitor user's password.
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => pair.restore());

  test('healthy: 100, and the stamp moves', async () => {
    await setStampAge('a', 5);
    const r = await snmp('a');
    assert.equal(r.stdout, '100\n');
    assert.ok((await stampAge('a')) <= 1, 'stamp was not moved');
    assert.match(lastLogLine(), /verdict=UP reason=fresh/);
  });

  test('stale stamp but replication caught up: 100 (caught-up), stamp moves', async () => {
    await setStampAge('a', 300);
    const r = await snmp('a');
    assert.equal(r.stdout, '100\n');
    assert.match(lastLogLine(), /reason=caught-up/);
    assert.ok((await stampAge('a')) <= 1);
  });

  test('stale stamp and replication stopped: 200, no stamp', async () => {
    await pair.sql('a', 'STOP SLAVE');
    try {
      await setStampAge('a', 300);
      const r = await snmp('a');
      assert.equal(r.stdout, '200\n');
      assert.match(lastLogLine(), /reason=replication-stopped/);
      assert.ok((await stampAge('a')) >= 299, 'a DOWN verdict must not stamp');
    } finally {
      await pair.sql('a', 'START SLAVE');
    }
  });

  test('a node coming back still behind: 200 and no stamp, then 100 once caught up', async () => {
    await pair.sql('a', 'STOP SLAVE');
    await pair.sql('a', 'CHANGE MASTER TO MASTER_DELAY = 30');
    await pair.sql('a', 'START SLAVE');
    try {
      await pair.sql('b', 'CREATE DATABASE IF NOT EXISTS scratch');
      await pair.sql('b', 'CREATE TABLE IF NOT EXISTS scratch.t (id INT PRIMARY KEY AUTO_INCREMENT, v INT)');
      await pair.sql('b', 'INSERT INTO scratch.t (v) VALUES (1)');
      // Wait until a reports real lag above --max-lag.
      const until = Date.now() + 15_000;
      let lag = 0;
      while (Date.now() < until) {
        const st = await pair.slaveStatus('a');
        lag = Number(st?.['Seconds_Behind_Master'] ?? 0);
        if (lag >= 3) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(lag >= 3, `expected lag on a, got ${lag}`);
      await setStampAge('a', 300);
      const r = await snmp('a');
      assert.equal(r.stdout, '200\n');
      assert.match(lastLogLine(), /reason=catching-up/);
      assert.ok((await stampAge('a')) >= 299, 'a node catching up must not stamp');
    } finally {
      await pair.sql('a', 'STOP SLAVE');
      await pair.sql('a', 'CHANGE MASTER TO MASTER_DELAY = 0');
      await pair.sql('a', 'START SLAVE');
    }
    await pair.waitCaughtUp('a');
    await setStampAge('a', 300);
    const r = await snmp('a');
    assert.equal(r.stdout, '100\n');
    assert.match(lastLogLine(), /reason=caught-up/);
  });

  test('local node stopped: 200 (local-unreachable)', async () => {
    await pair.stop('a');
    const r = await snmp('a');
    assert.equal(r.stdout, '200\n');
    assert.match(lastLogLine(), /reason=local-unreachable/);
  });

  test('peer stopped: 100 (peer-unreachable) even with a stale stamp, and it stamps', async () => {
    await setStampAge('a', 300);
    await pair.stop('b');
    const r = await snmp('a');
    assert.equal(r.stdout, '100\n');
    assert.match(lastLogLine(), /reason=peer-unreachable/);
    assert.ok((await stampAge('a')) <= 1, 'row 2 must stamp');
  });

  test('peer down longer than fresh, then back: still 100', async () => {
    await pair.stop('b');
    const started = Date.now();
    // Probes keep coming while the peer is down; each stamps (row 2).
    while (Date.now() - started < 3500) {
      const r = await snmp('a', { fresh: '2' });
      assert.equal(r.stdout, '100\n');
      await new Promise((res) => setTimeout(res, 500));
    }
    await pair.startNode('b');
    // The peer is back; a's replication from b is still reconnecting, but a's own stamp is fresh.
    const r = await snmp('a', { fresh: '2' });
    assert.equal(r.stdout, '100\n');
    assert.match(lastLogLine(), /reason=(fresh|caught-up)/);
  });

  test('heartbeat UPDATE privilege revoked: 200 (heartbeat-write-failed)', async () => {
    const grantee = `'${pair.monitorUser}'@'127.0.0.1'`;
    await withSqlLogBinOff('a', [`REVOKE UPDATE ON status_example.* FROM ${grantee}`]);
    try {
      const r = await snmp('a');
      assert.equal(r.stdout, '200\n');
      assert.match(lastLogLine(), /reason=heartbeat-write-failed/);
    } finally {
      await withSqlLogBinOff('a', [`GRANT UPDATE ON status_example.* TO ${grantee}`]);
    }
  });

  test('local server frozen (SIGSTOP): 200 within the deadline', async () => {
    pair.freeze('a');
    try {
      const r = await snmp('a', { timeout: '2' });
      assert.equal(r.stdout, '200\n');
      assert.ok(r.elapsedMs < 2500, `answered after ${r.elapsedMs} ms`);
      assert.match(lastLogLine(), /reason=(local-unreachable|error)/);
    } finally {
      pair.thaw('a');
    }
  });

  test('peer frozen (SIGSTOP): 100 within the deadline', async () => {
    await setStampAge('a', 300);
    pair.freeze('b');
    try {
      const r = await snmp('a', { timeout: '2' });
      assert.equal(r.stdout, '100\n');
      assert.ok(r.elapsedMs < 2500, `answered after ${r.elapsedMs} ms`);
      assert.match(lastLogLine(), /reason=peer-unreachable/);
    } finally {
      pair.thaw('b');
    }
  });

  test('keyed heartbeat table: stamps its own row only', async () => {
    await pair.sql('a', 'CREATE DATABASE IF NOT EXISTS mysql_failover');
    await pair.sql(
      'a',
      'CREATE TABLE IF NOT EXISTS mysql_failover.heartbeat (node VARCHAR(64) NOT NULL PRIMARY KEY, lastcheck BIGINT NULL) ENGINE=InnoDB',
    );
    await pair.waitCaughtUp('b');
    const r = await snmp('a', { table: 'mysql_failover.heartbeat', node: 'db-a' });
    // No row yet: stale; replication caught up: UP, and the stamp inserts the row.
    assert.equal(r.stdout, '100\n');
    const rows = await pair.sql('a', 'SELECT node, UNIX_TIMESTAMP() - lastcheck AS age FROM mysql_failover.heartbeat');
    assert.deepEqual(
      rows.map((x) => x.node),
      ['db-a'],
    );
    assert.ok(Number(rows[0].age) <= 1);
    const r2 = await snmp('a', { table: 'mysql_failover.heartbeat', node: 'db-a' });
    assert.equal(r2.stdout, '100\n');
    assert.match(lastLogLine(), /reason=fresh/);
  });

  test('bad options and a missing option file: 200, nothing on stderr', async () => {
    for (const args of [['--bogus'], ['--timeout=abc'], ['--table=x; DROP TABLE y'], ['--password=secret']]) {
      const r = await snmp('a', {}, args);
      assert.equal(r.stdout, '200\n', `for ${args.join(' ')}`);
    }
    const r = await runBin('mysql-failover-snmp', ['--defaults-file=/nonexistent/my.cnf']);
    assert.deepEqual([r.stdout, r.stderr, r.code], ['200\n', '', 0]);
  });

  test('the log line never carries the password', async () => {
    await snmp('a');
    const log = readFileSync(join(dir, 'check.log'), 'utf8');
    assert.ok(!log.includes(pair.monitorPassword));
  });

  /** A server's status counter. */
  async function counter(node: NodeName, name: string): Promise<number> {
    const rows = await pair.sql(node, 'SHOW GLOBAL STATUS LIKE ?', [name]);
    return Number(rows[0]?.Value);
  }

  /**
   * The option file without the log file (the base one has it), as snmpd
   * would usually run it, and with timeout=6: a hung peer then gets 3 s.
   */
  function quietOptionFile(node: NodeName): string {
    const file = join(dir, `${node}-quiet.cnf`);
    const lines = readFileSync(optionFile(node), 'utf8')
      .split('\n')
      .filter((l) => !l.startsWith('log-file=') && !l.startsWith('timeout='));
    writeFileSync(file, [...lines, 'timeout=6', ''].join('\n'), { mode: 0o600 });
    return file;
  }

  test('without a log file, a fresh heartbeat is answered without a login to the peer; stale, the peer is asked', async () => {
    const file = quietOptionFile('a');
    await setStampAge('a', 5);
    const before = await counter('b', 'Connections');
    const fresh = await runBin('mysql-failover-snmp', [`--defaults-file=${file}`]);
    assert.deepEqual([fresh.stdout, fresh.stderr, fresh.code], ['100\n', '', 0]);
    // The test's own counter query is the only new connection on b.
    assert.equal((await counter('b', 'Connections')) - before, 1, 'the peer was not asked');
    await setStampAge('a', 300);
    const before2 = await counter('b', 'Connections');
    const stale = await runBin('mysql-failover-snmp', [`--defaults-file=${file}`]);
    assert.deepEqual([stale.stdout, stale.stderr, stale.code], ['100\n', '', 0]);
    assert.equal((await counter('b', 'Connections')) - before2, 2, 'the peer was asked once');
  });

  test('without a log file, a frozen peer does not hold back a fresh answer', async () => {
    const file = quietOptionFile('a');
    await setStampAge('a', 5);
    pair.freeze('b');
    const started = Date.now();
    const r = await runBin('mysql-failover-snmp', [`--defaults-file=${file}`]);
    assert.deepEqual([r.stdout, r.stderr, r.code], ['100\n', '', 0]);
    // A probe that waited for the peer would answer after its 3 s share of timeout=6.
    assert.ok(Date.now() - started < 3000, `answered after ${Date.now() - started} ms`);
  });

  test('sessions end with COM_QUIT: the servers count no aborted connection', async () => {
    const before = [await counter('a', 'Aborted_clients'), await counter('b', 'Aborted_clients')];
    await snmp('a');
    await setStampAge('a', 300);
    await snmp('a');
    assert.deepEqual([await counter('a', 'Aborted_clients'), await counter('b', 'Aborted_clients')], before);
  });
});
