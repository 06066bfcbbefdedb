/** The pure parts of mysql-failover-check: extend OIDs, setup's flavour/GRANT text, status formatting. */
import { describe, test } from 'node:test';
import { channel } from './support/channels';
import * as assert from 'node:assert/strict';
import { extendIndex, extendOids } from '../src/answers/oid';
import {
  accountSql,
  detectFlavour,
  formatSetupReport,
  grantStatements,
  monitorPrivilege,
  parseAccount,
  tableShape,
} from '../src/cli/setup';
import { describeEndpoint, fixHint, formatStatusText, statusJson, type StatusInput } from '../src/answers/status';
import { decide, type Facts } from '../src/core/decide';
import { CheckError } from '../src/core/errors';
import type { CheckSettings } from '../src/config/settings';

describe('oid', () => {
  test('the index is the length, then one sub-identifier per byte', () => {
    assert.equal(extendIndex('mfc'), '3.109.102.99');
    assert.equal(extendIndex('a'), '1.97');
  });

  test('nsExtendOutput1Line, nsExtendOutputFull, nsExtendResult', () => {
    const oids = extendOids('mysql_failover');
    const idx = '14.109.121.115.113.108.95.102.97.105.108.111.118.101.114';
    assert.deepEqual(
      oids.map((o) => [o.symbolic, o.numeric]),
      [
        ['nsExtendOutput1Line."mysql_failover"', `1.3.6.1.4.1.8072.1.3.2.3.1.1.${idx}`],
        ['nsExtendOutputFull."mysql_failover"', `1.3.6.1.4.1.8072.1.3.2.3.1.2.${idx}`],
        ['nsExtendResult."mysql_failover"', `1.3.6.1.4.1.8072.1.3.2.3.1.4.${idx}`],
      ],
    );
  });

  test('names snmpd cannot take in one token are refused', () => {
    for (const bad of ['', 'a b', 'tab\tname', 'é', 'x'.repeat(101), 'line\n']) {
      assert.throws(
        () => extendIndex(bad),
        (e: unknown) => e instanceof CheckError && e.code === 'USAGE',
      );
    }
    assert.equal(extendIndex('x'.repeat(100)).split('.').length, 101);
  });
});

describe('setup: flavour and privileges', () => {
  test('flavour from @@version / @@version_comment', () => {
    assert.deepEqual(detectFlavour('10.11.6-MariaDB-0+deb12u1'), {
      flavour: 'MariaDB',
      major: 10,
      minor: 11,
      patch: 6,
      version: '10.11.6-MariaDB-0+deb12u1',
    });
    assert.equal(detectFlavour('8.0.36', 'MySQL Community Server - GPL').flavour, 'MySQL');
    assert.equal(detectFlavour('8.0.36-28', 'Percona Server (GPL), Release 28').flavour, 'MySQL');
    assert.equal(detectFlavour('5.5.5-10.4.32-MariaDB').flavour, 'MariaDB');
    assert.throws(() => detectFlavour('weird'), CheckError);
  });

  test('MariaDB >= 10.5.9: SLAVE MONITOR; 10.5.0-10.5.8: REPLICATION SLAVE ADMIN; older and MySQL: REPLICATION CLIENT', () => {
    const p = (v: string, c = '') => monitorPrivilege(detectFlavour(v, c)).privilege;
    assert.equal(p('10.5.9-MariaDB'), 'SLAVE MONITOR');
    assert.equal(p('10.5.10-MariaDB'), 'SLAVE MONITOR');
    assert.equal(p('10.6.0-MariaDB'), 'SLAVE MONITOR');
    assert.equal(p('10.11.6-MariaDB-0+deb12u1'), 'SLAVE MONITOR');
    assert.equal(p('11.4.2-MariaDB'), 'SLAVE MONITOR');
    assert.equal(p('10.5.8-MariaDB'), 'REPLICATION SLAVE ADMIN');
    assert.equal(p('10.5.0-MariaDB'), 'REPLICATION SLAVE ADMIN');
    assert.equal(p('10.4.32-MariaDB'), 'REPLICATION CLIENT');
    assert.equal(p('10.3.39-MariaDB'), 'REPLICATION CLIENT');
    assert.equal(p('5.7.44', 'MySQL Community Server (GPL)'), 'REPLICATION CLIENT');
    assert.equal(p('8.0.36'), 'REPLICATION CLIENT');
    assert.equal(p('8.4.0'), 'REPLICATION CLIENT');
  });

  test('GRANT statements for the heartbeat table and replica status', () => {
    const account = parseAccount('mfc_monitor@10.0.0.%');
    assert.deepEqual(account, { user: 'mfc_monitor', host: '10.0.0.%' });
    assert.deepEqual(grantStatements(detectFlavour('10.11.6-MariaDB'), { database: 'mysql_failover', table: 'heartbeat' }, account), [
      "GRANT SLAVE MONITOR ON *.* TO 'mfc_monitor'@'10.0.0.%';",
      "GRANT SELECT, INSERT, UPDATE ON `mysql_failover`.`heartbeat` TO 'mfc_monitor'@'10.0.0.%';",
    ]);
    assert.deepEqual(grantStatements(detectFlavour('8.0.36'), { database: 'status_example', table: 'lastcheck' }, parseAccount('nagios')), [
      "GRANT REPLICATION CLIENT ON *.* TO 'nagios'@'localhost';",
      "GRANT SELECT, INSERT, UPDATE ON `status_example`.`lastcheck` TO 'nagios'@'localhost';",
    ]);
  });

  test('accounts that would need escaping in SQL are refused', () => {
    for (const bad of ["o'brien", 'a b', 'x@', '@host', "u@h'", 'u@h;drop', '', 'a\\b']) {
      assert.throws(
        () => parseAccount(bad),
        (e: unknown) => e instanceof CheckError && e.code === 'USAGE',
        bad,
      );
    }
    assert.equal(accountSql(parseAccount('user@::1')), "'user'@'::1'");
  });

  test('table shape from its columns', () => {
    assert.equal(tableShape(['node', 'lastcheck']), 'keyed');
    assert.equal(tableShape(['lastcheck']), 'one-row');
    assert.equal(tableShape(['LastCheck']), 'one-row');
    assert.equal(tableShape(['id', 'ts']), 'unusable');
  });

  test('the report is an SQL script: comments, then the GRANTs', () => {
    const server = detectFlavour('10.11.6-MariaDB');
    const table = { database: 'mysql_failover', table: 'heartbeat' };
    const account = parseAccount('mfc');
    const base = {
      server,
      serverId: 1,
      shape: 'keyed' as const,
      rows: 0,
      privilege: monitorPrivilege(server),
      grants: grantStatements(server, table, account),
    };
    const first = formatSetupReport({ ...base, databaseCreated: true, tableCreated: true }, table, account);
    assert.match(first, /^-- database `mysql_failover`: created$/m);
    assert.match(first, /^-- table `mysql_failover`.`heartbeat`: created, keyed/m);
    const again = formatSetupReport({ ...base, databaseCreated: false, tableCreated: false, rows: 2 }, table, account);
    assert.match(again, /^-- table `mysql_failover`.`heartbeat`: exists, keyed \(one row per node\), 2 rows kept$/m);
    assert.match(again, /^-- nothing changed$/m);
    for (const line of again.trim().split('\n')) assert.match(line, /^(--|GRANT .*;$)/);
  });
});

describe('status formatting', () => {
  const settings: CheckSettings = {
    local: { host: '127.0.0.1', port: 3306, user: 'm', password: 'secret' },
    peer: { host: 'db2', port: 3306, user: 'm', password: 'secret' },
    peerAuto: undefined,
    failover: undefined,
    table: { database: 'mysql_failover', table: 'heartbeat' },
    node: undefined,
    thresholds: { fresh: 20, maxLag: 1 },
    timeoutMs: 3000,
    maintenanceFile: undefined,
    logFile: undefined,
    secrets: ['secret'],
  };
  const facts: Facts = {
    maintenance: false,
    local: {
      ok: true,
      heartbeat: { state: 'ok', age: 40 },
      channels: [channel({ sourceHost: 'db2' })],
    },
    peer: { configured: true, ok: true },
  };
  const decision = decide(facts, settings.thresholds);
  const input: StatusInput = {
    decision,
    raw: decision,
    facts,
    heartbeat: { now: 1, version: '10.11.6-MariaDB', serverId: 7, keyed: true, node: '7', heartbeat: { state: 'ok', age: 40 } },
    stamped: false,
    stampRequested: false,
    elapsedMs: 5,
    timedOut: false,
  };

  test('endpoints', () => {
    assert.equal(describeEndpoint({ socket: '/run/mysqld/mysqld.sock' }), 'socket /run/mysqld/mysqld.sock');
    assert.equal(describeEndpoint({ host: 'db1', port: 3307 }), 'db1:3307');
    assert.equal(describeEndpoint({ host: '::1', port: 3306 }), '[::1]:3306');
  });

  test('text: facts, the decision path, the verdict, whether it stamped', () => {
    const text = formatStatusText(input, settings);
    assert.equal(
      text,
      [
        'local server  127.0.0.1:3306',
        '              10.11.6-MariaDB, server_id 7',
        "heartbeat     mysql_failover.heartbeat (keyed, row of node '7'): heartbeat age 40 s (fresh up to 20 s)",
        'peer          db2:3306: reachable',
        'replication   default channel: IO Yes, SQL Yes, lag 0 s',
        'decision path',
        '  local server reachable, heartbeat age 40 s',
        '  peer reachable',
        '  heartbeat stale (heartbeat age 40 s, fresh is 20 s): checking replication',
        '  default channel: IO Yes, SQL Yes, lag 0 s',
        '  => UP (caught-up)',
        'verdict       UP (caught-up): replication caught up (lag 0 s <= 1 s)',
        'heartbeat not stamped: the stamp was tried and rolled back (--stamp writes it, as the load balancer does)',
        '',
      ].join('\n'),
    );
    assert.doesNotMatch(text, /secret/);
  });

  test('a refusing peer: alive, said so, with its error; the warning is on its own line', () => {
    const refused: Facts = {
      ...facts,
      peer: { configured: true, ok: false, reachable: true, error: { code: 'AUTH_FAILED', message: 'peer: connect: ER_ACCESS_DENIED_ERROR (1045): Access denied', errno: 1045 } },
    };
    const text = formatStatusText({ ...input, facts: refused, decision: decide(refused, settings.thresholds), raw: decide(refused, settings.thresholds) }, settings);
    assert.match(text, /^peer {10}db2:3306: refused: peer: connect: ER_ACCESS_DENIED_ERROR \(1045\).*\(alive, so the catch-up check applies\)$/m);
    assert.match(text, /^warning {7}peer refused: .*1045/m);
    assert.match(text, /^verdict {7}UP \(caught-up\)/m);
    const j = statusJson({ ...input, facts: refused, decision: decide(refused, settings.thresholds), raw: decide(refused, settings.thresholds) }, settings);
    assert.equal((j['peer'] as Record<string, unknown>)['reachable'], true);
  });

  test('a DOWN whose fix is known says it, naming the account as the server sees it', () => {
    const denied: Facts = {
      ...facts,
      local: { ok: false, error: { code: 'PRIVILEGE', message: 'local server: query: ER_TABLEACCESS_DENIED_ERROR (1142)', errno: 1142 } },
    };
    const text = formatStatusText({ ...input, facts: denied, decision: decide(denied, settings.thresholds), raw: decide(denied, settings.thresholds) }, settings);
    assert.match(text, /^verdict {7}DOWN \(local-privilege-missing\)/m);
    assert.match(text, /^fix {11}run `mysql-failover-check setup --monitor-user m@ADDRESS_OF_THIS_HOST`/m);
    const socketSettings: CheckSettings = { ...settings, local: { socket: '/run/mysqld/mysqld.sock', user: 'm' } };
    assert.match(formatStatusText({ ...input, facts: denied, decision: decide(denied, settings.thresholds), raw: decide(denied, settings.thresholds) }, socketSettings), /--monitor-user m@localhost/);
    assert.equal(fixHint('fresh', settings), undefined);
  });

  test('json: the same, with no password anywhere', () => {
    const j = statusJson(input, settings);
    assert.equal(j['verdict'], 'UP');
    assert.equal(j['reason'], 'caught-up');
    assert.equal(j['stamped'], false);
    assert.deepEqual(j['peer'], { configured: true, endpoint: 'db2:3306', ok: true, reachable: true });
    assert.deepEqual(j['warnings'], []);
    assert.equal((j['local'] as Record<string, unknown>)['serverId'], 7);
    assert.doesNotMatch(JSON.stringify(j), /secret/);
  });
});
