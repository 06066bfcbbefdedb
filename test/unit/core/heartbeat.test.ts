import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckError } from '../../../src/core/errors';
import {
  interpretHeartbeatRows,
  parseTableName,
  quoteTable,
  readHeartbeatSql,
  stampSessionSql,
  stampSql,
  TRIAL_SESSION_SQL,
  trialStampSql,
  validateNodeName,
} from '../../../src/core/heartbeat';

const meta = { mfc_now: 1000, mfc_version: '10.11.19-MariaDB', mfc_server_id: 2 };

test('table names: plain identifiers are accepted and quoted', () => {
  assert.deepEqual(parseTableName('status_example.lastcheck'), { database: 'status_example', table: 'lastcheck' });
  assert.equal(quoteTable(parseTableName('a$1.B_2')), '`a$1`.`B_2`');
});

for (const bad of [
  'x; DROP TABLE y',
  'a.b; DROP TABLE y',
  'a.`b`',
  "a.b'",
  'a.b"',
  'a',
  'a.b.c',
  '.b',
  'a.',
  'a.b c',
  'a.123',
  'a.' + 'x'.repeat(65),
  'a.b\u00e9',
]) {
  test(`table names: ${JSON.stringify(bad)} is rejected before any SQL`, () => {
    assert.throws(
      () => parseTableName(bad),
      (e: unknown) => e instanceof CheckError && e.code === 'USAGE',
    );
  });
}

test('node names: bounded printable ASCII', () => {
  assert.equal(validateNodeName('db-1.example'), 'db-1.example');
  for (const bad of ['', 'a b', 'x'.repeat(65), 'caf\u00e9', 'a\nb']) {
    assert.throws(
      () => validateNodeName(bad),
      (e: unknown) => e instanceof CheckError && e.code === 'USAGE',
    );
  }
});

test('the read statement reads the server clock, not ours', () => {
  const sql = readHeartbeatSql(parseTableName('status_example.lastcheck'));
  assert.match(sql, /UNIX_TIMESTAMP\(\)/);
  assert.match(sql, /`status_example`\.`lastcheck`/);
  assert.match(sql, /LIMIT \d+/);
});

test('original schema: age is server now minus the stamp', () => {
  const r = interpretHeartbeatRows([{ ...meta, lastcheck: 990 }], undefined);
  assert.deepEqual(r.heartbeat, { state: 'ok', age: 10 });
  assert.equal(r.keyed, false);
  assert.equal(r.version, '10.11.19-MariaDB');
});

test('original schema: several rows, the newest stamp counts', () => {
  const r = interpretHeartbeatRows(
    [
      { ...meta, lastcheck: 900 },
      { ...meta, lastcheck: 995 },
    ],
    undefined,
  );
  assert.deepEqual(r.heartbeat, { state: 'ok', age: 5 });
});

test('original schema: an empty table (LEFT JOIN row of NULLs) is empty', () => {
  const r = interpretHeartbeatRows([{ ...meta, lastcheck: null }], undefined);
  assert.equal(r.heartbeat.state, 'empty');
});

test('original schema: a row whose stamp is NULL next to another column is null', () => {
  const r = interpretHeartbeatRows([{ ...meta, lastcheck: null, id: 1 }], undefined);
  assert.equal(r.heartbeat.state, 'null');
});

test('a stamp ahead of the server clock is future', () => {
  const r = interpretHeartbeatRows([{ ...meta, lastcheck: 1060 }], undefined);
  assert.deepEqual(r.heartbeat, { state: 'future', age: -60 });
});

test('stamps may arrive as strings (BIGINT as text)', () => {
  const r = interpretHeartbeatRows([{ ...meta, mfc_now: '1000', lastcheck: '999' }], undefined);
  assert.deepEqual(r.heartbeat, { state: 'ok', age: 1 });
});

test('keyed schema: the row of this node, default name the server_id', () => {
  const rows = [
    { ...meta, node: '1', lastcheck: 900 },
    { ...meta, node: '2', lastcheck: 997 },
  ];
  const r = interpretHeartbeatRows(rows, undefined);
  assert.equal(r.keyed, true);
  assert.equal(r.node, '2');
  assert.deepEqual(r.heartbeat, { state: 'ok', age: 3 });
  assert.deepEqual(interpretHeartbeatRows(rows, '1').heartbeat, { state: 'ok', age: 100 });
});

test("keyed schema: no row for this node is empty; the other node's stamp is never used", () => {
  const r = interpretHeartbeatRows([{ ...meta, node: '1', lastcheck: 999 }], 'db2');
  assert.equal(r.heartbeat.state, 'empty');
});

test('keyed schema: an empty table', () => {
  const r = interpretHeartbeatRows([{ ...meta, node: null, lastcheck: null }], undefined);
  assert.equal(r.heartbeat.state, 'empty');
});

test('keyed schema: NULL stamp', () => {
  const r = interpretHeartbeatRows([{ ...meta, node: '2', lastcheck: null }], undefined);
  assert.equal(r.heartbeat.state, 'null');
});

test('a table without lastcheck is a bad heartbeat table', () => {
  assert.throws(
    () => interpretHeartbeatRows([{ ...meta, stamp: 1 }], undefined),
    (e: unknown) => e instanceof CheckError && e.code === 'BAD_HEARTBEAT_TABLE',
  );
});

test('stamp statements', () => {
  const t = parseTableName('mysql_failover.heartbeat');
  const keyed = stampSql(t, true, 'db1');
  assert.match(
    keyed.sql,
    /^INSERT INTO `mysql_failover`\.`heartbeat` \(node, lastcheck\) VALUES \(\?, UNIX_TIMESTAMP\(\)\) ON DUPLICATE KEY UPDATE/,
  );
  assert.deepEqual(keyed.params, ['db1']);
  const plain = stampSql(parseTableName('status_example.lastcheck'), false, 'x');
  assert.equal(plain.sql, 'UPDATE `status_example`.`lastcheck` SET lastcheck = UNIX_TIMESTAMP()');
  assert.deepEqual(plain.params, []);
});

test('the stamp session bounds lock waits and commits', () => {
  assert.equal(stampSessionSql(2.9), 'SET SESSION autocommit = 1, lock_wait_timeout = 2, innodb_lock_wait_timeout = 2');
  assert.match(stampSessionSql(0), /lock_wait_timeout = 1,/);
});

test('the trial stamp touches the same row, changes nothing and is never committed', () => {
  const t = parseTableName('mysql_failover.heartbeat');
  assert.deepEqual(trialStampSql(t, true, 'db1'), {
    sql: 'UPDATE `mysql_failover`.`heartbeat` SET lastcheck = lastcheck WHERE node = ?',
    params: ['db1'],
  });
  assert.deepEqual(trialStampSql(parseTableName('status_example.lastcheck'), false, 'x'), {
    sql: 'UPDATE `status_example`.`lastcheck` SET lastcheck = lastcheck',
    params: [],
  });
  assert.match(TRIAL_SESSION_SQL, /autocommit = 0/);
  assert.match(TRIAL_SESSION_SQL, /innodb_lock_wait_timeout = 1$/);
});
