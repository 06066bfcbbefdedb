/**
 * What `demo --keep` prints: the executables named as the person can run
 * them from where they are, every executable pointed at the kept pair, the
 * option files without their password, and the way to stop it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { commandPath, keptInstructions, type KeptShown } from '../../../src/demo/kept-instructions';

const DIR = '/tmp/mfc-demo-AbC123';

function kept(over: Partial<KeptShown> = {}): KeptShown {
  return {
    dir: DIR,
    binDir: '/home/ann/mfc/bin',
    cwd: '/home/ann/mfc',
    nodes: (['a', 'b'] as const).map((name, i) => ({
      name,
      port: 40001 + i,
      optionFile: `${DIR}/node-${name}.cnf`,
      optionFileText: `[client]\nuser=mfc_monitor\npassword='(not shown)'\n\n[mysql-failover-check]\npeer=127.0.0.1:${40002 - i}\n`,
      socket: `${DIR}/${name}.sock`,
      maintenanceFile: `${DIR}/node-${name}.maintenance`,
      logFile: `${DIR}/node-${name}.log`,
    })),
    ...over,
  };
}

describe('demo --keep instructions', () => {
  test('executables are ./bin/... from the project, ./x from bin/ itself, absolute from elsewhere', () => {
    assert.equal(commandPath('/home/ann/mfc/bin', 'mysql-failover-snmp', '/home/ann/mfc'), './bin/mysql-failover-snmp');
    assert.equal(commandPath('/home/ann/mfc/bin', 'mysql-failover-snmp', '/home/ann/mfc/bin'), './mysql-failover-snmp');
    assert.equal(commandPath('/home/ann/mfc/bin', 'mysql-failover-snmp', '/tmp'), '/home/ann/mfc/bin/mysql-failover-snmp');
    assert.equal(commandPath('/home/ann/mfc/bin', 'mysql-failover-snmp', '/home/ann/mfc/bin/sub'), '/home/ann/mfc/bin/mysql-failover-snmp');
  });

  test('every executable, pointed at node a with its option file; drain, log, SQL and stop', () => {
    const text = keptInstructions(kept());
    const file = `--defaults-file=${DIR}/node-a.cnf`;
    for (const line of [
      `  ./bin/mysql-failover-check status ${file}`,
      `  ./bin/mysql-failover-snmp ${file}`,
      `  printf 'GET / HTTP/1.0\\r\\n\\r\\n' | ./bin/mysql-failover-http ${file}`,
      `  ./bin/mysql-failover-agent ${file}`,
      `  ./bin/check_mysql_failover ${file} -v`,
      `  ./bin/mysql-failover-check serve ${file} --http 127.0.0.1:8080 --agent 127.0.0.1:8081`,
      `  ./bin/mysql-failover-check demo --stop`,
      `  node a  127.0.0.1:40001  ${DIR}/node-a.cnf`,
      `  node b  127.0.0.1:40002  ${DIR}/node-b.cnf`,
    ]) {
      assert.ok(text.split('\n').includes(line), `missing line ${JSON.stringify(line)} in:\n${text}`);
    }
    assert.match(text, new RegExp(`touch ${DIR}/node-a\\.maintenance`));
    assert.match(text, new RegExp(`mariadb --socket=${DIR}/a\\.sock`));
  });

  test('both option files are shown as given, indented, blank lines left blank', () => {
    const lines = keptInstructions(kept()).split('\n');
    const at = lines.indexOf('node-b.cnf:');
    assert.ok(at > 0);
    assert.deepEqual(lines.slice(at + 1, at + 7), [
      '  [client]',
      '  user=mfc_monitor',
      "  password='(not shown)'",
      '',
      '  [mysql-failover-check]',
      '  peer=127.0.0.1:40001',
    ]);
    assert.ok(!lines.some((l) => / +$/.test(l)), 'no trailing spaces');
  });

  test('a pair with no server left running still says how to clean up', () => {
    assert.match(keptInstructions(kept({ nodes: [] })), /demo --stop/);
  });
});
