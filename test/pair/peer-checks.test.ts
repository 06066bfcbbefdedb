/**
 * The peer and the replication source on a real pair, through the
 * executables: a --peer that is not this node's replication source is
 * reported (status, the plugin, the log line); --peer auto takes the source;
 * `status` says what the load balancer is told now and warns of what comes
 * later (a replica status it cannot read while the heartbeat is fresh).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pair } from '../support/pair';
import { makeTempDir } from '../support/run-dir';
import { runBin } from '../support/run-bin';

const TABLE = 'status_example.lastcheck';
let pair: Pair;
let dir: string;
let seq = 0;

/** An option file for node a over TCP; `extra` goes to [mysql-failover-check]. */
function optionFile(extra: Record<string, string>, client: Record<string, string> = {}): string {
  const file = join(dir, `o${++seq}.cnf`);
  pair.writeOptionFile(file, { host: '127.0.0.1', port: String(pair.a.port), ...client });
  const lines = ['[mysql-failover-check]', `table=${TABLE}`, 'timeout=3', ...Object.entries(extra).map(([k, v]) => `${k}=${v}`)];
  appendFileSync(file, lines.join('\n') + '\n');
  return file;
}

async function stale(): Promise<void> {
  await pair.sql('a', `UPDATE ${TABLE} SET lastcheck = UNIX_TIMESTAMP() - 1000`);
  await pair.waitCaughtUp('b');
}

async function fresh(): Promise<void> {
  await pair.sql('a', `UPDATE ${TABLE} SET lastcheck = UNIX_TIMESTAMP()`);
  await pair.waitCaughtUp('b');
}

describe('peer and replication source, on a real pair', () => {
  before(async () => {
    pair = await Pair.start({ name: 'peers' });
    dir = makeTempDir('peers-');
  });
  after(() => pair?.destroy());

  test('a --peer that is not the replication source is reported by status, the plugin and the log line', async () => {
    await stale();
    // Node a itself: alive and accepting our login, but not where a replicates from.
    const log = join(dir, 'mismatch.log');
    const file = optionFile({ peer: `127.0.0.1:${pair.a.port}`, 'log-file': log });
    const want = new RegExp(
      `--peer 127\\.0\\.0\\.1:${pair.a.port} is not the source of any replication channel \\(default channel from 127\\.0\\.0\\.1:${pair.b.port}\\)`,
    );

    const status = await runBin('mysql-failover-check', ['status', `--defaults-file=${file}`]);
    assert.equal(status.code, 0, status.stdout + status.stderr);
    assert.match(status.stdout, new RegExp(`^warning {7}${want.source}`, 'm'));

    const plugin = await runBin('check_mysql_failover', [`--defaults-file=${file}`]);
    assert.equal(plugin.code, 1, plugin.stdout);
    assert.match(plugin.stdout, /^MYSQL FAILOVER WARNING - /);
    assert.match(plugin.stdout, want);

    const snmp = await runBin('mysql-failover-snmp', [`--defaults-file=${file}`]);
    assert.equal(snmp.stdout, '100\n');
    assert.match(readFileSync(log, 'utf8'), new RegExp(`reason=caught-up .*warnings=".*${want.source}`));

    // The right peer: no warning.
    const ok = await runBin('mysql-failover-check', ['status', `--defaults-file=${optionFile({ peer: `127.0.0.1:${pair.b.port}` })}`]);
    assert.doesNotMatch(ok.stdout, /^warning/m);
    // A name that resolves to the source's address matches too.
    const byName = await runBin('mysql-failover-check', ['status', `--defaults-file=${optionFile({ peer: `localhost:${pair.b.port}` })}`]);
    assert.doesNotMatch(byName.stdout, /is not the source/, byName.stdout);
  });

  test('--peer auto takes the replication source: reachable while b runs, row 2 once b is stopped', async () => {
    const file = optionFile({ peer: 'auto' });
    const status = await runBin('mysql-failover-check', ['status', '--json', `--defaults-file=${file}`]);
    const j = JSON.parse(status.stdout);
    assert.equal(j.peer.ok, true, status.stdout);
    assert.ok(j.steps.includes('peer reachable'), status.stdout);

    await stale();
    await pair.stop('b');
    try {
      for (const [bin, input, up] of [
        ['mysql-failover-snmp', undefined, '100\n'],
        ['mysql-failover-http', 'GET / HTTP/1.0\r\n\r\n', 'UP peer-unreachable\n'],
        ['mysql-failover-agent', undefined, 'up ready\n'],
      ] as const) {
        const r = await runBin(bin, [`--defaults-file=${file}`], input === undefined ? {} : { input });
        assert.ok(r.stdout.endsWith(up), `${bin}: ${JSON.stringify(r.stdout)}`);
      }
      const down = await runBin('mysql-failover-check', ['status', `--defaults-file=${file}`]);
      assert.match(down.stdout, new RegExp(`^peer {10}auto \\(the replication source\\): unreachable: `, 'm'), down.stdout);
    } finally {
      await pair.startNode('b');
      await pair.waitReplicationRunning('a');
      await pair.waitReplicationRunning('b');
    }
  });

  test('--peer auto with no replication configured: no peer, said so; never row 2', async () => {
    await stale();
    await pair.sql('a', 'STOP SLAVE');
    await pair.sql('a', 'RESET SLAVE ALL');
    try {
      const file = optionFile({ peer: 'auto' });
      const r = await runBin('mysql-failover-check', ['status', `--defaults-file=${file}`]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^verdict {7}DOWN \(not-a-replica\)/m);
      assert.match(r.stdout, /^warning {7}--peer auto: no replication channel to take the source from$/m);
      assert.equal((await runBin('mysql-failover-snmp', [`--defaults-file=${file}`])).stdout, '200\n');
    } finally {
      await pair.restoreReplication('a');
    }
  });

  test('status tells the truth about now: fresh heartbeat, no replica-status privilege: UP, with a warning of the DOWN to come', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      await pair.sql('a', `CREATE USER IF NOT EXISTS 'mfc_norepl'@'${host}' IDENTIFIED BY 'norepl-pw'`);
      await pair.sql('a', `GRANT SELECT, INSERT, UPDATE ON status_example.* TO 'mfc_norepl'@'${host}'`);
    }
    await fresh();
    const file = optionFile({}, { user: 'mfc_norepl', password: 'norepl-pw' });
    const status = await runBin('mysql-failover-check', ['status', `--defaults-file=${file}`]);
    assert.equal(status.code, 0, status.stdout + status.stderr);
    assert.match(status.stdout, /^verdict {7}UP \(fresh\)/m);
    assert.match(status.stdout, /^replication   cannot be read: .*\(1227\)/m);
    assert.match(
      status.stdout,
      /^warning {7}the replica status cannot be read \(.*1227.*\): this node will answer DOWN once its heartbeat is stale$/m,
    );
    assert.equal((await runBin('mysql-failover-snmp', [`--defaults-file=${file}`])).stdout, '100\n', 'the LB gets the same verdict');
    const plugin = await runBin('check_mysql_failover', [`--defaults-file=${file}`]);
    assert.match(plugin.stdout, /^MYSQL FAILOVER WARNING - .*1227/);

    // Once stale, the same account is DOWN local-privilege-missing, with the fix.
    await stale();
    const down = await runBin('mysql-failover-check', ['status', `--defaults-file=${file}`]);
    assert.equal(down.code, 1);
    assert.match(down.stdout, /^verdict {7}DOWN \(local-privilege-missing\)/m);
    assert.match(down.stdout, /^fix {11}run `mysql-failover-check setup --monitor-user mfc_norepl@ADDRESS_OF_THIS_HOST`/m);
    const http = await runBin('mysql-failover-http', [`--defaults-file=${file}`], { input: 'GET / HTTP/1.0\r\n\r\n' });
    assert.ok(http.stdout.endsWith('\r\n\r\nDOWN local-privilege-missing\n'), http.stdout);
  });
});
