/** The pure parts of `mysql-failover-check setup` (src/cli/setup.ts): flavour, privileges, GRANT text, the report. */
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  accountSql,
  detectFlavour,
  formatSetupReport,
  grantStatements,
  monitorPrivilege,
  parseAccount,
  poolAccounts,
  poolGrantStatements,
  tableShape,
  type Account,
  type SetupReport,
} from '../../../src/probe/setup';
import { CheckError } from '../../../src/core/errors';

const MARIADB = detectFlavour('10.11.6-MariaDB');
const TABLE = { database: 'mysql_failover', table: 'heartbeat' };

/** A report of an existing keyed table on MariaDB, for `account`, where nothing changed; `over` says what did. */
function report(account: Account, over: Partial<SetupReport> = {}): SetupReport {
  return {
    server: MARIADB,
    serverId: 1,
    databaseCreated: false,
    tableCreated: false,
    shape: 'keyed',
    columnsAdded: [],
    rows: 2,
    privilege: monitorPrivilege(MARIADB),
    grants: grantStatements(MARIADB, TABLE, account),
    poolAccounts: [],
    poolGrants: [],
    ...over,
  };
}

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
    const table = TABLE;
    const account = parseAccount('mfc');
    const base = report(account, { rows: 0 });
    const first = formatSetupReport({ ...base, databaseCreated: true, tableCreated: true }, table, account);
    assert.match(first, /^-- database `mysql_failover`: created$/m);
    assert.match(first, /^-- table `mysql_failover`.`heartbeat`: created, keyed/m);
    const again = formatSetupReport({ ...base, databaseCreated: false, tableCreated: false, rows: 2 }, table, account);
    assert.match(again, /^-- table `mysql_failover`.`heartbeat`: exists, keyed \(one row per node\), 2 rows kept$/m);
    assert.match(again, /^-- nothing changed$/m);
    for (const line of again.trim().split('\n')) assert.match(line, /^(--|GRANT .*;$)/);
  });

  test('a keyed table that got the state columns says so, and that counts as a change', () => {
    const table = TABLE;
    const account = parseAccount('mfc');
    const r = report(account, { columnsAdded: ['state', 'state_since'] });
    const text = formatSetupReport(r, table, account);
    assert.match(text, /^-- added the failover state mirror's columns state, state_since \(nullable; no row rewritten\)$/m);
    assert.doesNotMatch(text, /nothing changed/);
    assert.match(formatSetupReport({ ...r, columnsAdded: [] }, table, account), /^-- nothing changed$/m);
    assert.match(
      formatSetupReport({ ...r, columnsAdded: [], shape: 'one-row' }, table, account),
      /one-row table has no failover state mirror/,
    );
  });
});

describe("setup: the other node's pool", () => {
  const server = MARIADB;
  const table = TABLE;
  const monitor = parseAccount('mfc@localhost');

  test('pool only reads here: replica status and SELECT, never INSERT or UPDATE', () => {
    assert.deepEqual(poolGrantStatements(server, table, parseAccount('mfc@10.0.0.2')), [
      "GRANT SLAVE MONITOR ON *.* TO 'mfc'@'10.0.0.2';",
      "GRANT SELECT ON `mysql_failover`.`heartbeat` TO 'mfc'@'10.0.0.2';",
    ]);
  });

  test("by default, the monitor user's name at both nodes' TCP addresses (--host, --peer); the monitor account itself left out", () => {
    const hosts = (local: object, peer: object | undefined, given: string[] = []) =>
      poolAccounts(monitor, given, local, peer).map((a) => `${a.user}@${a.host}`);
    assert.deepEqual(hosts({ host: '10.0.0.1', port: 3306 }, { host: '10.0.0.2', port: 3306 }), ['mfc@10.0.0.1', 'mfc@10.0.0.2']);
    assert.deepEqual(hosts({ socket: '/run/mysqld/mysqld.sock' }, { host: '10.0.0.2', port: 3306 }), ['mfc@10.0.0.2']);
    assert.deepEqual(hosts({ host: '127.0.0.1' }, { host: '127.0.0.1', port: 3307 }), ['mfc@127.0.0.1']);
    assert.deepEqual(hosts({ socket: '/s' }, undefined), []);
    assert.deepEqual(hosts({ host: 'localhost' }, { socket: '/s' }), [], "'mfc'@'localhost' is the monitor account already");
    assert.deepEqual(hosts({ host: '10.0.0.1' }, { host: '10.0.0.2' }, ['nagios@10.0.0.%', 'nagios@10.0.0.%']), ['nagios@10.0.0.%']);
  });

  test("the report prints their GRANTs after the monitor's, or says how to name them", () => {
    const readers = [parseAccount('mfc@10.0.0.1'), parseAccount('mfc@10.0.0.2')];
    const base = report(monitor, { poolAccounts: readers, poolGrants: readers.flatMap((a) => poolGrantStatements(server, table, a)) });
    const text = formatSetupReport(base, table, monitor);
    const grants = text.split('\n').filter((l) => l.startsWith('GRANT'));
    assert.equal(grants.length, 6);
    assert.match(grants[5] ?? '', /^GRANT SELECT ON `mysql_failover`.`heartbeat` TO 'mfc'@'10.0.0.2';$/);
    for (const line of text.trim().split('\n')) assert.match(line, /^(--|GRANT .*;$)/);
    assert.match(formatSetupReport({ ...base, poolAccounts: [], poolGrants: [] }, table, monitor), /--pool-user USER@ADDRESS/);
  });
});
