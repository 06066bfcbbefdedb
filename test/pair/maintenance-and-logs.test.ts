/**
 * Maintenance does not blind the operator, and a log file that cannot be
 * written is reported (docs/design.md, "The load-balancer verdict" and the
 * executables' contract), on the real pair through the executables:
 * - with the maintenance file, the load balancer is told DOWN (maintenance)
 *   and asks no server, but `status` and the plugin keep checking: status
 *   says what undraining would give, the plugin keeps its perfdata and its
 *   replication checks (WARNING, or worse when something worse is true);
 * - `status` says when --log-file cannot be written.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pair } from '../support/pair';
import { nodeOptionFile } from '../support/lb-setup';
import { makeTempDir } from '../support/run-dir';
import { runBin } from '../support/run-bin';

let pair: Pair;
let dir: string;

describe('maintenance keeps the operator informed; unwritable log files are reported', () => {
  before(async () => {
    pair = await Pair.start({ name: 'maint' });
    dir = makeTempDir('maint-');
  });
  after(async () => {
    await pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('drained and healthy: LB DOWN maintenance; status "ready to undrain: would be UP"; plugin WARNING with its perfdata', async () => {
    const flag = join(dir, 'drain');
    writeFileSync(flag, '');
    await pair.sql('a', 'UPDATE status_example.lastcheck SET lastcheck = UNIX_TIMESTAMP() - 1000');
    await pair.waitCaughtUp('b');
    const file = nodeOptionFile(pair, 'a', dir, 'drained', { table: 'status_example.lastcheck', 'maintenance-file': flag });
    assert.equal((await runBin('mysql-failover-snmp', [`--defaults-file=${file}`])).stdout, '200\n');

    const status = await runBin('mysql-failover-check', ['status', `--defaults-file=${file}`]);
    assert.equal(status.code, 1);
    assert.match(status.stdout, /^maintenance {3}.* exists: the load balancer is told DOWN \(maintenance\)$/m);
    assert.match(status.stdout, /^ {14}ready to undrain: would be UP \(caught-up\)/m);
    assert.match(status.stdout, /^replication {3}default channel: IO Yes, SQL Yes, lag 0 s$/m);
    const j = JSON.parse((await runBin('mysql-failover-check', ['status', '--json', `--defaults-file=${file}`])).stdout);
    assert.deepEqual([j.verdict, j.reason, j.wouldBe.verdict, j.wouldBe.reason], ['DOWN', 'maintenance', 'UP', 'caught-up']);

    const plugin = await runBin('check_mysql_failover', [`--defaults-file=${file}`]);
    assert.equal(plugin.code, 1, plugin.stdout);
    assert.match(plugin.stdout, /^MYSQL FAILOVER WARNING - maintenance file present/);
    assert.match(plugin.stdout, /'lag'=0s;;;0 'heartbeat_age'=\d+s/);
  });

  test('drained with replication stopped: not ready to undrain, and the plugin says CRITICAL', async () => {
    const flag = join(dir, 'drain2');
    writeFileSync(flag, '');
    await pair.sql('a', 'STOP SLAVE');
    try {
      const file = nodeOptionFile(pair, 'a', dir, 'stopped', { table: 'status_example.lastcheck', 'maintenance-file': flag });
      const status = await runBin('mysql-failover-check', ['status', `--defaults-file=${file}`]);
      assert.match(status.stdout, /^ {14}not ready to undrain: would be DOWN \(replication-stopped\)/m);
      const plugin = await runBin('check_mysql_failover', [`--defaults-file=${file}`]);
      assert.equal(plugin.code, 2, plugin.stdout);
      assert.match(plugin.stdout, /^MYSQL FAILOVER CRITICAL - replication not running: .*maintenance file present/);
    } finally {
      await pair.sql('a', 'START SLAVE');
      await pair.waitReplicationRunning('a');
    }
  });

  test('status reports a --log-file it cannot write', async () => {
    const file = nodeOptionFile(pair, 'a', dir, 'badlog', { 'log-file': '/nonexistent-dir/mfc.log' });
    const status = await runBin('mysql-failover-check', ['status', `--defaults-file=${file}`]);
    assert.match(
      status.stdout,
      /^warning {7}--log-file \/nonexistent-dir\/mfc\.log: directory \/nonexistent-dir is not writable \(ENOENT\): the load-balancer probes log to the system log instead$/m,
    );
    const j = JSON.parse((await runBin('mysql-failover-check', ['status', '--json', `--defaults-file=${file}`])).stdout);
    assert.match(j.logFile.problem, /ENOENT/);
  });
});
