/**
 * mysql-failover-check against a real MariaDB master-master pair, as a person
 * runs it: `setup` with an administrator's option file (twice: the second run
 * changes nothing, not even a binlog event), the printed GRANTs applied and
 * proven sufficient, and `status` in text, JSON and --stamp forms.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pair, quoteOptionValue, type NodeName } from '../support/pair';
import { makeTempDir } from '../support/run-dir';
import { runBin, type BinResult } from '../support/run-bin';

const HEARTBEAT = 'mysql_failover.heartbeat';
const MONITOR = 'mfc_setup_mon';
const MONITOR_PASSWORD = "setup 'pw' #2";
let pair: Pair;
let dir: string;

function writeFile(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
  return file;
}

/** root over the unix socket (no password): the administrator running setup. */
function adminFile(node: NodeName): string {
  return writeFile(`admin-${node}.cnf`, ['[client]', 'user=root', `socket=${pair.node(node).socket}`]);
}

/** The account setup's GRANTs are for, over TCP, checking node a with b as its peer. */
function monitorFile(extra: string[] = []): string {
  return writeFile('monitor.cnf', [
    '[client]',
    `user=${MONITOR}`,
    `password=${quoteOptionValue(MONITOR_PASSWORD)}`,
    'host=127.0.0.1',
    `port=${pair.a.port}`,
    '[mysql-failover-check]',
    `peer=127.0.0.1:${pair.b.port}`,
    `table=${HEARTBEAT}`,
    ...extra,
  ]);
}

async function cli(args: string[]): Promise<BinResult> {
  const r = await runBin('mysql-failover-check', args);
  process.stdout.write(`mysql-failover-check ${args.join(' ')} -> exit ${r.code}\n${(r.stdout + r.stderr).replace(/^(?=.)/gm, '    ')}`);
  assert.equal(r.signal, null);
  return r;
}

describe('mysql-failover-check on a real pair', () => {
  before(async () => {
    pair = await Pair.start({ name: 'cli' });
    dir = makeTempDir('cli-');
  });
  after(() => pair?.destroy());

  test('setup creates the keyed table and prints the GRANTs for MariaDB', async () => {
    const r = await cli(['setup', `--defaults-file=${adminFile('a')}`, `--monitor-user=${MONITOR}@127.0.0.1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^-- server: 1\d\.\d+\.\d+-MariaDB.* \(MariaDB 1\d\.\d+\.\d+\), server_id 1$/m);
    assert.match(r.stdout, /^-- database `mysql_failover`: created$/m);
    assert.match(r.stdout, /^-- table `mysql_failover`.`heartbeat`: created, keyed \(one row per node\)$/m);
    const grants = r.stdout.split('\n').filter((l) => l.startsWith('GRANT '));
    assert.deepEqual(grants, [
      `GRANT SLAVE MONITOR ON *.* TO '${MONITOR}'@'127.0.0.1';`,
      `GRANT SELECT, INSERT, UPDATE ON \`mysql_failover\`.\`heartbeat\` TO '${MONITOR}'@'127.0.0.1';`,
    ]);
    const cols = await pair.sql('a', `SHOW COLUMNS FROM ${HEARTBEAT}`);
    assert.deepEqual(
      cols.map((c) => [c.Field, c.Key]),
      [
        ['node', 'PRI'],
        ['lastcheck', ''],
        ['state', ''],
        ['state_since', ''],
      ],
    );
    await pair.waitCaughtUp('b');
    assert.equal((await pair.sql('b', `SHOW TABLES FROM mysql_failover`)).length, 1, 'the CREATE replicated to b');

    // The printed GRANTs are valid SQL and enough for the check (on both nodes: GRANT replicates).
    await pair.sql('a', 'CREATE USER ?@? IDENTIFIED BY ?', [MONITOR, '127.0.0.1', MONITOR_PASSWORD]);
    for (const g of grants) await pair.sql('a', g);
    await pair.waitCaughtUp('b');
  });

  test('a second setup changes nothing: rows kept, no binlog event', async () => {
    await pair.sql('a', `INSERT INTO ${HEARTBEAT} (node, lastcheck) VALUES ('keep-me', 12345)`);
    await pair.waitCaughtUp('b');
    const before = { a: await pair.gtidBinlogPos('a'), b: await pair.gtidBinlogPos('b') };
    for (const node of ['a', 'b'] as const) {
      const r = await cli(['setup', `--defaults-file=${adminFile(node)}`]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^-- database `mysql_failover`: exists, kept$/m);
      assert.match(r.stdout, /^-- table `mysql_failover`.`heartbeat`: exists, keyed \(one row per node\), 1 row kept$/m);
      assert.match(r.stdout, /^-- nothing changed$/m);
      assert.match(r.stdout, /^GRANT SLAVE MONITOR ON \*\.\* TO 'mfc_monitor'@'localhost';$/m);
    }
    assert.deepEqual({ a: await pair.gtidBinlogPos('a'), b: await pair.gtidBinlogPos('b') }, before, 'setup wrote to the binlog');
    for (const node of ['a', 'b'] as const) {
      const rows = await pair.sql(node, `SELECT node, lastcheck FROM ${HEARTBEAT}`);
      assert.deepEqual(
        rows.map((x) => [x.node, Number(x.lastcheck)]),
        [['keep-me', 12345]],
      );
    }
  });

  test('setup adds the state mirror columns to a keyed table made before them, once; the second run changes nothing', async () => {
    const old = 'mysql_failover.before_mirror';
    await pair.sql('a', `CREATE TABLE ${old} (node VARCHAR(64) NOT NULL PRIMARY KEY, lastcheck BIGINT NULL) ENGINE=InnoDB`);
    await pair.sql('a', `INSERT INTO ${old} VALUES ('1', 111), ('2', 222)`);
    await pair.waitCaughtUp('b');
    const first = await cli(['setup', `--defaults-file=${adminFile('a')}`, `--table=${old}`, `--pool-user=${MONITOR}@192.0.2.7`]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^-- added the failover state mirror's columns state, state_since \(nullable; no row rewritten\)$/m);
    assert.doesNotMatch(first.stdout, /nothing changed/);
    assert.deepEqual(
      first.stdout.split('\n').filter((l) => l.startsWith('GRANT') && l.includes("'192.0.2.7'")),
      [
        `GRANT SLAVE MONITOR ON *.* TO '${MONITOR}'@'192.0.2.7';`,
        `GRANT SELECT ON \`mysql_failover\`.\`before_mirror\` TO '${MONITOR}'@'192.0.2.7';`,
      ],
    );
    await pair.waitCaughtUp('b');
    for (const node of ['a', 'b'] as const) {
      const cols = await pair.sql(node, `SHOW COLUMNS FROM ${old}`);
      assert.deepEqual(
        cols.map((c) => [c.Field, c.Null]),
        [
          ['node', 'NO'],
          ['lastcheck', 'YES'],
          ['state', 'YES'],
          ['state_since', 'YES'],
        ],
        `columns on ${node}`,
      );
      const rows = await pair.sql(node, `SELECT node, lastcheck, state, state_since FROM ${old} ORDER BY node`);
      assert.deepEqual(
        rows.map((x) => [x.node, Number(x.lastcheck), x.state, x.state_since]),
        [
          ['1', 111, null, null],
          ['2', 222, null, null],
        ],
      );
    }
    const before = { a: await pair.gtidBinlogPos('a'), b: await pair.gtidBinlogPos('b') };
    for (const node of ['a', 'b'] as const) {
      const again = await cli(['setup', `--defaults-file=${adminFile(node)}`, `--table=${old}`]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /^-- nothing changed$/m);
      assert.doesNotMatch(again.stdout, /added the failover state/);
    }
    assert.deepEqual(
      { a: await pair.gtidBinlogPos('a'), b: await pair.gtidBinlogPos('b') },
      before,
      'the second setup wrote to the binlog',
    );
    await pair.sql('a', `DROP TABLE ${old}`);
    await pair.waitCaughtUp('b');
  });

  test('setup keeps the original one-row table and refuses an unusable one untouched', async () => {
    const orig = await cli(['setup', `--defaults-file=${adminFile('a')}`, '--table=status_example.lastcheck']);
    assert.equal(orig.code, 0, orig.stderr);
    assert.match(orig.stdout, /^-- table `status_example`.`lastcheck`: exists, original one-row schema .*, 1 row kept$/m);
    assert.match(orig.stdout, /^GRANT SELECT, INSERT, UPDATE ON `status_example`.`lastcheck` TO /m);

    await pair.sql('a', 'CREATE DATABASE other');
    await pair.sql('a', 'CREATE TABLE other.t (id INT PRIMARY KEY, note TEXT)');
    await pair.sql('a', "INSERT INTO other.t VALUES (1, 'data')");
    const bad = await cli(['setup', `--defaults-file=${adminFile('a')}`, '--table=other.t']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /`other`.`t` exists but has no lastcheck column \(columns: id, note\); left untouched/);
    const cols = await pair.sql('a', 'SHOW COLUMNS FROM other.t');
    assert.deepEqual(
      cols.map((c) => c.Field),
      ['id', 'note'],
    );
    assert.deepEqual(
      (await pair.sql('a', 'SELECT note FROM other.t')).map((x) => x.note),
      ['data'],
    );
  });

  test('status: the facts and the decision path in words, not stamping', async () => {
    const r = await cli(['status', `--defaults-file=${monitorFile()}`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], `local server  127.0.0.1:${pair.a.port}`);
    assert.ok(
      lines.includes("heartbeat     mysql_failover.heartbeat (keyed, row of node '1'): no heartbeat row (fresh up to 20 s)"),
      r.stdout,
    );
    assert.ok(lines.includes(`peer          127.0.0.1:${pair.b.port}: reachable`), r.stdout);
    assert.ok(lines.includes('replication   default channel: IO Yes, SQL Yes, lag 0 s'), r.stdout);
    assert.ok(lines.includes('decision path'));
    assert.ok(lines.includes('  => UP (caught-up)'));
    assert.ok(lines.includes('verdict       UP (caught-up): replication caught up (lag 0 s <= 1 s)'), r.stdout);
    assert.ok(lines.includes('heartbeat not stamped: the stamp was tried and rolled back (--stamp writes it, as the load balancer does)'));
    assert.doesNotMatch(r.stdout, /setup 'pw'/);
    // Nothing stamped.
    assert.deepEqual(
      (await pair.sql('a', `SELECT node FROM ${HEARTBEAT}`)).map((x) => x.node),
      ['keep-me'],
    );
  });

  test('status: a stamp the server would refuse (read_only) gives the DOWN the LB would get, nothing written', async () => {
    await pair.sql('a', 'SET GLOBAL read_only = 1');
    try {
      const r = await cli(['status', `--defaults-file=${monitorFile()}`]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /^verdict {7}DOWN \(heartbeat-write-failed\): heartbeat write failed: .*ER_OPTION_PREVENTS_STATEMENT/m);
    } finally {
      await pair.sql('a', 'SET GLOBAL read_only = 0');
    }
    assert.deepEqual(
      (await pair.sql('a', `SELECT node FROM ${HEARTBEAT}`)).map((x) => x.node),
      ['keep-me'],
    );
  });

  test('status --json: the same for scripts', async () => {
    const r = await cli(['--json', `--defaults-file=${monitorFile()}`]);
    assert.equal(r.code, 0);
    const j = JSON.parse(r.stdout);
    assert.equal(j.verdict, 'UP');
    assert.equal(j.reason, 'caught-up');
    assert.equal(j.stamped, false);
    assert.equal(j.table, HEARTBEAT);
    assert.equal(j.local.ok, true);
    assert.equal(j.local.keyed, true);
    assert.equal(j.local.node, '1');
    assert.deepEqual(j.local.heartbeat, { state: 'empty', age: null });
    assert.equal(j.local.channels[0].ioRunning, 'Yes');
    assert.equal(j.local.channels[0].lag, 0);
    assert.deepEqual(j.peer, { configured: true, endpoint: `127.0.0.1:${pair.b.port}`, ok: true, reachable: true });
    assert.ok(Array.isArray(j.steps) && j.steps.at(-1) === '=> UP (caught-up)');
  });

  test('status --stamp acts like the LB: stamps with the GRANTs setup printed, and logs', async () => {
    const log = join(dir, 'status.log');
    const r = await cli(['--stamp', `--defaults-file=${monitorFile([`log-file=${log}`])}`]);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /^heartbeat stamped, as a load-balancer probe would$/m);
    const rows = await pair.sql('a', `SELECT node, UNIX_TIMESTAMP() - lastcheck AS age FROM ${HEARTBEAT} ORDER BY node`);
    assert.deepEqual(
      rows.map((x) => x.node),
      ['1', 'keep-me'],
    );
    assert.ok(Number(rows[0].age) <= 2);
    const again = await cli([`--defaults-file=${monitorFile()}`]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /^verdict {7}UP \(fresh\)/m);
    const { readFileSync } = await import('node:fs');
    assert.match(readFileSync(log, 'utf8'), /mysql-failover-check pid=\d+ verdict=UP reason=caught-up /);
  });

  test('status exits 1 when the LB would be told DOWN', async () => {
    await pair.sql('a', `UPDATE ${HEARTBEAT} SET lastcheck = UNIX_TIMESTAMP() - 1000 WHERE node = '1'`);
    await pair.sql('a', 'STOP SLAVE');
    try {
      const r = await cli([`--defaults-file=${monitorFile()}`]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^verdict {7}DOWN \(replication-stopped\): default channel: IO No, SQL No, lag unknown$/m);
      const j = JSON.parse((await cli(['status', '--json', '--stamp', `--defaults-file=${monitorFile()}`])).stdout);
      assert.equal(j.verdict, 'DOWN');
      assert.equal(j.stamped, false, 'a DOWN verdict never stamps');
    } finally {
      await pair.sql('a', 'START SLAVE');
      await pair.waitReplicationRunning('a');
    }
  });

  test('usage errors exit 2', async () => {
    for (const args of [['bogus'], ['status', 'extra'], ['oid'], ['--frobnicate'], ['setup', '--json'], ['status', '--monitor-user=x']]) {
      const r = await cli(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^mysql-failover-check: /);
    }
    const missing = await cli([`--defaults-file=${join(dir, 'missing.cnf')}`]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing\.cnf/);
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(
      help.stdout,
      /--monitor-user USER\[@HOST\] +setup: the account the printed GRANTs are for \(default: mfc_monitor@localhost\)/,
    );
  });
});
