import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckError } from '../../../src/core/errors';
import {
  addStateColumnsSql,
  createKeyedTableSql,
  interpretHeartbeatRows,
  missingStateColumns,
  mirrorStateSql,
  sameMirror,
  stateMirror,
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

test('read_only comes with the heartbeat read; unknown when the server did not say', () => {
  assert.match(readHeartbeatSql(parseTableName('a.b')), /@@read_only AS mfc_read_only/);
  assert.equal(interpretHeartbeatRows([{ ...meta, mfc_read_only: 1, lastcheck: 990 }], undefined).readOnly, true);
  assert.equal(interpretHeartbeatRows([{ ...meta, mfc_read_only: '0', lastcheck: 990 }], undefined).readOnly, false);
  assert.equal(interpretHeartbeatRows([{ ...meta, lastcheck: 990 }], undefined).readOnly, undefined);
});

describe('the state mirror', () => {
  const keyed = (over: Record<string, unknown>[]) =>
    over.map((r) => ({ ...meta, node: null, lastcheck: null, state: null, state_since: null, ...r }));

  test("a keyed table with the state column: this node's row says its state", () => {
    const rows = keyed([
      { node: '1', lastcheck: 990, state: 'failed', state_since: 900 },
      { node: '2', lastcheck: 995, state: 'up', state_since: 800 },
    ]);
    assert.deepEqual(interpretHeartbeatRows(rows, undefined).mirror, { state: 'up', since: 800 });
    assert.deepEqual(interpretHeartbeatRows(rows, '1').mirror, { state: 'failed', since: 900 });
  });

  test('NULL state (the node keeps no failover state) and a missing row are both "no state"', () => {
    assert.deepEqual(interpretHeartbeatRows(keyed([{ node: '2', lastcheck: 995 }]), undefined).mirror, { state: null, since: null });
    assert.deepEqual(interpretHeartbeatRows(keyed([{ node: '1', lastcheck: 995, state: 'up' }]), undefined).mirror, {
      state: null,
      since: null,
    });
    assert.deepEqual(interpretHeartbeatRows(keyed([{}]), undefined).mirror, { state: null, since: null });
  });

  test('no state column, or the one-row table: no mirror at all (unknown, not "none")', () => {
    assert.equal(interpretHeartbeatRows([{ ...meta, node: '2', lastcheck: 995 }], undefined).mirror, undefined);
    assert.equal(interpretHeartbeatRows([{ ...meta, lastcheck: 995, state: 'up' }], undefined).mirror, undefined);
  });

  test('the mirror keeps whole seconds, and compares by state and since', () => {
    assert.deepEqual(stateMirror('down', 1_700_000_000_999), { state: 'down', since: 1_700_000_000 });
    assert.deepEqual(stateMirror(null, 5), { state: null, since: null });
    assert.equal(sameMirror({ state: 'down', since: 5 }, { state: 'down', since: 5 }), true);
    assert.equal(sameMirror({ state: 'down', since: 5 }, { state: 'down', since: 6 }), false);
    assert.equal(sameMirror({ state: 'up', since: 5 }, { state: 'down', since: 5 }), false);
    assert.equal(sameMirror(undefined, { state: null, since: null }), false);
  });

  test('the stamp writes the mirror in the same statement; without one it leaves the columns alone', () => {
    const t = parseTableName('mysql_failover.heartbeat');
    const s = stampSql(t, true, 'db1', { state: 'up', since: 7 });
    assert.equal(
      s.sql,
      'INSERT INTO `mysql_failover`.`heartbeat` (node, lastcheck, state, state_since) VALUES (?, UNIX_TIMESTAMP(), ?, ?) ' +
        'ON DUPLICATE KEY UPDATE lastcheck = UNIX_TIMESTAMP(), state = ?, state_since = ?',
    );
    assert.deepEqual(s.params, ['db1', 'up', 7, 'up', 7]);
    assert.doesNotMatch(stampSql(t, true, 'db1').sql, /state/);
    assert.doesNotMatch(stampSql(parseTableName('a.b'), false, 'x', { state: 'up', since: 7 }).sql, /state/);
  });

  test('a state change alone: the row of --node, else of the server_id; the stamp is not touched', () => {
    const m = mirrorStateSql(parseTableName('mysql_failover.heartbeat'), null, { state: 'maintenance', since: 9 });
    assert.match(m.sql, /VALUES \(COALESCE\(\?, @@server_id\), NULL, \?, \?\) ON DUPLICATE KEY UPDATE state = \?, state_since = \?$/);
    assert.doesNotMatch(m.sql.split('UPDATE')[1] ?? '', /lastcheck/);
    assert.deepEqual(m.params, [null, 'maintenance', 9, 'maintenance', 9]);
  });

  test('setup: new tables get the columns; an old keyed table gets the missing ones added, nullable', () => {
    const t = parseTableName('mysql_failover.heartbeat');
    assert.match(createKeyedTableSql(t)[1] ?? '', /lastcheck BIGINT NULL, state VARCHAR\(16\) NULL, state_since BIGINT NULL\)/);
    assert.deepEqual(missingStateColumns(['node', 'lastcheck']), ['state', 'state_since']);
    assert.deepEqual(missingStateColumns(['node', 'lastcheck', 'STATE']), ['state_since']);
    assert.deepEqual(missingStateColumns(['node', 'lastcheck', 'state', 'state_since']), []);
    assert.equal(
      addStateColumnsSql(t, ['state', 'state_since'], true),
      'ALTER TABLE `mysql_failover`.`heartbeat` ADD COLUMN IF NOT EXISTS state VARCHAR(16) NULL, ADD COLUMN IF NOT EXISTS state_since BIGINT NULL',
    );
    assert.equal(
      addStateColumnsSql(t, ['state_since'], false),
      'ALTER TABLE `mysql_failover`.`heartbeat` ADD COLUMN state_since BIGINT NULL',
    );
  });
});
