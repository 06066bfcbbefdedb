/**
 * check_mysql_failover against a real MariaDB master-master pair, run as a
 * subprocess the way Nagios/Icinga run it. The plugin checks node a; b is its
 * peer. The heartbeat is set 1000 s in the past once, so the LB decision
 * always looks at replication, and every case checks that the plugin never
 * moved it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pair, quoteOptionValue } from '../support/pair';
import { makeTempDir } from '../support/run-dir';
import { runBin, type BinResult } from '../support/run-bin';

const TABLE = 'status_example.lastcheck';
let pair: Pair;
let dir: string;
let stamp: number;

function optionFile(name: string, password: string): string {
  const file = join(dir, `${name}.cnf`);
  const lines = [
    '[client]',
    `user=${quoteOptionValue(pair.monitorUser)}`,
    `password=${quoteOptionValue(password)}`,
    'host=127.0.0.1',
    `port=${pair.a.port}`,
    '[mysql-failover-check]',
    `peer=127.0.0.1:${pair.b.port}`,
    `table=${TABLE}`,
  ];
  writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
  return file;
}

async function plugin(args: string[], password = pair.monitorPassword): Promise<BinResult> {
  const r = await runBin('check_mysql_failover', [`--defaults-file=${optionFile('a', password)}`, ...args]);
  // Shown in the test log: what Nagios would have seen.
  process.stdout.write(
    `check_mysql_failover ${args.join(' ')} -> exit ${r.code} in ${r.elapsedMs} ms\n${r.stdout.replace(/^(?=.)/gm, '    ')}`,
  );
  assert.equal(r.stderr, '', 'a plugin writes nothing to stderr');
  assert.equal(r.signal, null);
  return r;
}

function expectState(r: BinResult, state: 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN'): void {
  const code = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 }[state];
  assert.match(r.stdout, new RegExp(`^MYSQL FAILOVER ${state} - `), r.stdout);
  assert.equal(r.code, code, r.stdout);
}

async function heartbeatOn(node: 'a' | 'b'): Promise<number> {
  const rows = await pair.sql(node, `SELECT lastcheck FROM ${TABLE}`);
  assert.equal(rows.length, 1);
  return Number(rows[0].lastcheck);
}

async function assertHeartbeatUntouched(): Promise<void> {
  assert.equal(await heartbeatOn('a'), stamp, 'the plugin must never stamp the heartbeat');
  if (pair.isRunning('b')) assert.equal(await heartbeatOn('b'), stamp);
}

async function lagOnA(): Promise<number | null> {
  const s = await pair.slaveStatus('a');
  const v = s?.['Seconds_Behind_Master'];
  return v === null || v === undefined ? null : Number(v);
}

describe('check_mysql_failover on a real pair', () => {
  before(async () => {
    pair = await Pair.start({ name: 'nagios' });
    dir = makeTempDir('nagios-');
    await pair.sql('a', `UPDATE ${TABLE} SET lastcheck = UNIX_TIMESTAMP() - 1000`);
    await pair.waitCaughtUp('b');
    stamp = await heartbeatOn('a');
  });
  after(() => pair?.destroy());

  test('healthy: OK with perfdata; the heartbeat untouched', async () => {
    const r = await plugin(['-w', '5', '-c', '10']);
    expectState(r, 'OK');
    assert.match(
      r.stdout,
      /^MYSQL FAILOVER OK - replication running, lag 0 s, heartbeat age 10\d\d s, peer reachable; LB verdict UP \(caught-up\) \| 'lag'=0s;5;10;0 'heartbeat_age'=10\d\ds 'peer_reachable'=1;;;0;1 'time'=[\d.]+s;;;0\n$/,
    );
    await assertHeartbeatUntouched();
  });

  test('-v adds the channel, the decision path and the option file read', async () => {
    const r = await plugin(['-v']);
    expectState(r, 'OK');
    const lines = r.stdout.split('\n');
    assert.ok(lines.includes('default channel: IO Yes, SQL Yes, lag 0 s: OK'), r.stdout);
    assert.ok(lines.includes('peer: reachable'), r.stdout);
    assert.ok(lines.includes('decision: => UP (caught-up)'), r.stdout);
    assert.ok(
      lines.some((l) => /^local server: 1\d\.\d+\.\d+-MariaDB.*, server_id 1; heartbeat one-row table: heartbeat age \d+ s$/.test(l)),
      r.stdout,
    );
    assert.ok(
      lines.some((l) => l.startsWith('option files read: ') && l.endsWith('a.cnf')),
      r.stdout,
    );
    await assertHeartbeatUntouched();
  });

  test('UNKNOWN: bad ranges, unknown options, a missing --defaults-file', async () => {
    const bad = await plugin(['-w', '5', '-c', '1O']);
    expectState(bad, 'UNKNOWN');
    assert.match(bad.stdout, /^MYSQL FAILOVER UNKNOWN - -c\/--critical: bad end "1O" in range "1O"\nUsage: check_mysql_failover /);
    const inverted = await plugin(['-w', '20:10']);
    expectState(inverted, 'UNKNOWN');
    assert.match(inverted.stdout, /start 20 is greater than end 10 in "20:10"/);
    const hb = await plugin(['--heartbeat-critical', '@']);
    expectState(hb, 'UNKNOWN');
    assert.match(hb.stdout, /--heartbeat-critical: empty range "@"/);
    const unknown = await plugin(['--frobnicate']);
    expectState(unknown, 'UNKNOWN');
    assert.match(unknown.stdout, /unknown option --frobnicate\nUsage: /);
    const missing = await runBin('check_mysql_failover', ['--defaults-file', join(dir, 'nope.cnf')]);
    expectState(missing, 'UNKNOWN');
    assert.match(missing.stdout, /nope\.cnf/);
    assert.equal(missing.stderr, '');
    const badTimeout = await plugin(['-t', '5:SOMETIMES']);
    expectState(badTimeout, 'UNKNOWN');
    assert.match(badTimeout.stdout, /"SOMETIMES"/);
  });

  test('auth failure: CRITICAL with the server error code, never the password', async () => {
    const wrong = 'Wr0ng-s3cret-pw';
    const r = await plugin(['-v'], wrong);
    expectState(r, 'CRITICAL');
    assert.match(r.stdout, /ER_ACCESS_DENIED_ERROR \(1045\)/);
    assert.doesNotMatch(r.stdout, new RegExp(wrong));
    assert.doesNotMatch(r.stdout, /mfc#Mon/);
  });

  test('--channel naming no channel: CRITICAL', async () => {
    const r = await plugin(['--channel', 'nope']);
    expectState(r, 'CRITICAL');
    assert.match(r.stdout, /replication channel 'nope' not configured/);
  });

  test('real lag (MASTER_DELAY): WARNING between -w and -c, CRITICAL past -c', async () => {
    await pair.sql('a', 'STOP SLAVE');
    await pair.sql('a', 'CHANGE MASTER TO MASTER_DELAY = 60');
    await pair.sql('a', 'START SLAVE');
    try {
      await pair.sql('b', 'CREATE DATABASE IF NOT EXISTS lagtest');
      const until = Date.now() + 20_000;
      let lag = await lagOnA();
      while ((lag === null || lag < 3) && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 200));
        lag = await lagOnA();
      }
      assert.ok(lag !== null && lag >= 3, `expected lag on a, got ${lag}`);

      // The LB's own bound (--max-lag) must allow the lag, or the LB verdict DOWN is CRITICAL by itself.
      const w = await plugin(['-w', '2', '-c', '50', '--max-lag', '55']);
      expectState(w, 'WARNING');
      assert.match(
        w.stdout,
        /^MYSQL FAILOVER WARNING - default channel lag \d+ s \(warning 2\); LB verdict UP \(caught-up\) \| 'lag'=\d+s;2;50;0 /,
      );
      const c = await plugin(['-w', '1', '-c', '2', '--max-lag', '55']);
      expectState(c, 'CRITICAL');
      assert.match(c.stdout, /default channel lag \d+ s \(critical 2\)/);
      const lb = await plugin(['-w', '2', '-c', '50']);
      expectState(lb, 'CRITICAL');
      assert.match(lb.stdout, /the load balancer would be told DOWN \(catching-up\)/);
      const v = await plugin(['-v', '-w', '2', '-c', '50', '--max-lag', '55']);
      assert.match(v.stdout, /\ndefault channel: IO Yes, SQL Yes, lag \d+ s, delay 60 s: WARNING\n/);
    } finally {
      await pair.sql('a', 'STOP SLAVE');
      await pair.sql('a', 'CHANGE MASTER TO MASTER_DELAY = 0');
      await pair.sql('a', 'START SLAVE');
      await pair.waitCaughtUp('a');
      await pair.waitReplicationRunning('a');
    }
    await assertHeartbeatUntouched();
  });

  test('replication stopped while the peer is up: CRITICAL', async () => {
    await pair.sql('a', 'STOP SLAVE');
    try {
      const r = await plugin([]);
      expectState(r, 'CRITICAL');
      assert.match(r.stdout, /replication not running: default channel: IO No, SQL No, lag unknown/);
      assert.match(r.stdout, /LB verdict DOWN \(replication-stopped\)/);
      assert.match(r.stdout, /'lag'=U;;;0 /);
    } finally {
      await pair.sql('a', 'START SLAVE');
      await pair.waitReplicationRunning('a');
    }
  });

  test('peer down: WARNING, and the plugin does not stamp where the LB would', async () => {
    await pair.stop('b');
    try {
      const r = await plugin(['-w', '5', '-c', '10']);
      expectState(r, 'WARNING');
      assert.match(r.stdout, /^MYSQL FAILOVER WARNING - peer unreachable, serving alone: peer: connect: ECONNREFUSED/);
      assert.match(r.stdout, /LB verdict UP \(peer-unreachable\)/);
      assert.match(r.stdout, /'peer_reachable'=0;;;0;1/);
      await assertHeartbeatUntouched();
    } finally {
      await pair.startNode('b');
      await pair.waitReplicationRunning('a');
      await pair.waitReplicationRunning('b');
    }
  });

  test('local server stopped: CRITICAL', async () => {
    await pair.stop('a');
    try {
      const r = await plugin([]);
      expectState(r, 'CRITICAL');
      assert.match(r.stdout, /^MYSQL FAILOVER CRITICAL - local server: connect: ECONNREFUSED/);
    } finally {
      await pair.startNode('a');
      await pair.waitReplicationRunning('a');
    }
  });

  test('frozen local server (SIGSTOP): CRITICAL within -t + 1 s, or the -t STATE', async () => {
    pair.freeze('a');
    try {
      const r = await plugin(['-t', '2']);
      expectState(r, 'CRITICAL');
      assert.match(r.stdout, /^MYSQL FAILOVER CRITICAL - timeout after 2 s: /);
      assert.ok(r.elapsedMs < 3000, `answered after ${r.elapsedMs} ms`);
      assert.ok(r.elapsedMs >= 1800, `answered after ${r.elapsedMs} ms: too early for -t 2`);
      const u = await plugin(['-t', '1.5:UNKNOWN']);
      expectState(u, 'UNKNOWN');
      assert.ok(u.elapsedMs < 2500, `answered after ${u.elapsedMs} ms`);
    } finally {
      pair.thaw('a');
    }
  });

  test('the heartbeat is still what it was before any plugin run', async () => {
    await pair.waitCaughtUp('b');
    await assertHeartbeatUntouched();
  });
});
