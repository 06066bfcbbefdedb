/** Self-test of the MariaDB pair harness (test/support/pair.ts). */
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as mysql from 'mysql2/promise';
import { Pair, quoteOptionValue } from '../support/pair';
import { findExecutable } from '../support/run-dir';

describe('Pair harness', () => {
  let pair: Pair;

  before(async () => {
    pair = await Pair.start({ name: 'selftest' });
    await pair.sql('a', 'CREATE DATABASE scratch');
    await pair.sql('a', 'CREATE TABLE scratch.t (id INT AUTO_INCREMENT PRIMARY KEY, origin CHAR(1)) ENGINE=InnoDB');
    await pair.waitCaughtUp('b');
  });
  after(() => pair?.destroy());

  test('starts with the heartbeat row on both nodes and replication running both ways', async () => {
    for (const n of ['a', 'b'] as const) {
      const rows = await pair.sql(n, 'SELECT lastcheck FROM status_example.lastcheck');
      assert.equal(rows.length, 1);
      assert.ok(Math.abs(Number(rows[0].lastcheck) - Date.now() / 1000) < 120);
      const st = await pair.slaveStatus(n);
      assert.equal(st?.['Slave_IO_Running'], 'Yes');
      assert.equal(st?.['Slave_SQL_Running'], 'Yes');
      assert.equal(st?.['Master_Port'], pair.node(n === 'a' ? 'b' : 'a').port);
      assert.equal(st?.['Using_Gtid'], 'Slave_Pos');
    }
    const [ids] = await pair.sql('a', 'SELECT @@server_id AS sid, @@gtid_domain_id AS dom');
    assert.deepEqual({ sid: Number(ids.sid), dom: Number(ids.dom) }, { sid: 1, dom: 1 });
  });

  test('a write on a appears on b and vice versa', async () => {
    await pair.sql('a', "INSERT INTO scratch.t (origin) VALUES ('a')");
    await pair.sql('b', "INSERT INTO scratch.t (origin) VALUES ('b')");
    await pair.waitCaughtUp('a');
    await pair.waitCaughtUp('b');
    for (const n of ['a', 'b'] as const) {
      const rows = await pair.sql(n, 'SELECT id, origin FROM scratch.t ORDER BY id');
      assert.deepEqual(rows.map((r) => r.origin).sort(), ['a', 'b'], `node ${n} has ${JSON.stringify(rows)}`);
      // auto_increment_increment=2 / offset=server_id: odd ids from a, even ids from b.
      for (const r of rows) assert.equal(r.id % 2, r.origin === 'a' ? 1 : 0);
    }
  });

  test('the monitor user can log in over TCP and read replica status', async () => {
    for (const n of ['a', 'b'] as const) {
      const conn = await mysql.createConnection(pair.monitorConnection(n));
      try {
        const [all] = await conn.query('SHOW ALL SLAVES STATUS');
        assert.equal((all as any[]).length, 1);
        const [rows] = await conn.query('SELECT lastcheck FROM status_example.lastcheck');
        assert.equal((rows as any[]).length, 1);
        await conn.query('UPDATE status_example.lastcheck SET lastcheck = UNIX_TIMESTAMP()');
        await assert.rejects(conn.query('SELECT * FROM scratch.t'), /denied/i);
      } finally {
        await conn.end();
      }
    }
    await pair.waitCaughtUp('a');
    await pair.waitCaughtUp('b');
  });

  test('writeOptionFile writes a 0600 file the MariaDB client parses back to the same password', async (t) => {
    const file = path.join(pair.dir, 'monitor.cnf');
    pair.writeOptionFile(file, { host: '127.0.0.1', port: String(pair.a.port) });
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const mpd = findExecutable('my_print_defaults');
    if (!mpd) return t.skip('my_print_defaults not installed');
    const out = execFileSync(mpd, [`--defaults-file=${file}`, 'client'], { encoding: 'utf8' });
    assert.deepEqual(out.trimEnd().split('\n'), [
      `--user=${pair.monitorUser}`,
      `--password=${pair.monitorPassword}`,
      '--host=127.0.0.1',
      `--port=${pair.a.port}`,
    ]);
    const mariadb = findExecutable('mariadb');
    if (mariadb) {
      const who = execFileSync(mariadb, [`--defaults-file=${file}`, '-N', '-e', 'SELECT CURRENT_USER()'], { encoding: 'utf8' });
      assert.equal(who.trim(), `${pair.monitorUser}@127.0.0.1`);
    }
    // The escaping path for values that single quotes cannot carry.
    const file2 = path.join(pair.dir, 'odd.cnf');
    fs.writeFileSync(file2, `[client]\npassword=${quoteOptionValue(`it's a \\ "x" #1`)}\n`);
    assert.equal(execFileSync(mpd, [`--defaults-file=${file2}`, 'client'], { encoding: 'utf8' }), `--password=it's a \\ "x" #1\n`);
  });

  test('stop/start a node: replication resumes and catches up both ways', async () => {
    await pair.stop('b');
    assert.equal(pair.isRunning('b'), false);
    await pair.sql('a', "INSERT INTO scratch.t (origin) VALUES ('A')");
    await pair.startNode('b');
    await pair.sql('b', "INSERT INTO scratch.t (origin) VALUES ('B')");
    await pair.waitCaughtUp('b', 15_000);
    await pair.waitCaughtUp('a', 15_000);
    await pair.waitReplicationRunning('a', 15_000);
    await pair.waitReplicationRunning('b', 15_000);
    const a = await pair.sql('a', 'SELECT id, origin FROM scratch.t ORDER BY id');
    const b = await pair.sql('b', 'SELECT id, origin FROM scratch.t ORDER BY id');
    assert.deepEqual(a, b);
    assert.deepEqual(a.map((r) => r.origin).sort(), ['A', 'B', 'a', 'b']);
  });

  test('kill -9 a node and restart it: crash recovery and replication resume', async () => {
    await pair.kill('a');
    assert.equal(pair.isRunning('a'), false);
    await pair.sql('b', "INSERT INTO scratch.t (origin) VALUES ('k')");
    await pair.startNode('a');
    await pair.waitCaughtUp('a', 15_000);
    await pair.waitReplicationRunning('a', 15_000);
    await pair.waitReplicationRunning('b', 15_000);
    const [row] = await pair.sql('a', "SELECT COUNT(*) AS n FROM scratch.t WHERE origin = 'k'");
    assert.equal(Number(row.n), 1);
  });

  test('freeze/thaw: a frozen node accepts TCP but does not answer; after thaw it works again', async () => {
    pair.freeze('b');
    try {
      assert.equal(pair.isFrozen('b'), true);
      await assert.rejects(pair.sql('b', 'SELECT 1'), /frozen/);
      const conn = mysql.createConnection({ ...pair.monitorConnection('b'), connectTimeout: 700 });
      await assert.rejects(conn, /timeout|ETIMEDOUT/i);
      // Writes on a still succeed; b gets them after thawing.
      await pair.sql('a', "INSERT INTO scratch.t (origin) VALUES ('f')");
    } finally {
      pair.thaw('b');
    }
    assert.equal(pair.isFrozen('b'), false);
    await pair.waitCaughtUp('b', 15_000);
    await pair.waitReplicationRunning('b', 15_000);
    const [row] = await pair.sql('b', "SELECT COUNT(*) AS n FROM scratch.t WHERE origin = 'f'");
    assert.equal(Number(row.n), 1);
  });

  test('a broken SQL thread makes the waits fail early, with the server error', async () => {
    // Also documents a hazard of --binlog-format=ROW with the original PK-less
    // heartbeat table: once the two copies of the row differ, a replicated
    // UPDATE finds no matching row on the other node (error 1032).
    const broken = await Pair.start({ name: 'broken' });
    try {
      await broken.withConnection('b', async (c) => {
        await c.query('SET SESSION sql_log_bin = 0');
        await c.query('UPDATE status_example.lastcheck SET lastcheck = 1');
      });
      await broken.sql('a', 'UPDATE status_example.lastcheck SET lastcheck = lastcheck + 1');
      const t0 = Date.now();
      await assert.rejects(broken.waitCaughtUp('b', 20_000), /SQL thread stopped on an error.*1032/);
      await assert.rejects(broken.waitReplicationRunning('b', 20_000), /SQL thread stopped on an error.*1032/);
      assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
    } finally {
      await broken.destroy();
    }
  });

  test('destroy stops both servers, removes the directory and is idempotent', async () => {
    const extra = await Pair.start({ name: 'second' });
    const pids = [extra.pid('a'), extra.pid('b')];
    assert.ok(pids.every((p) => typeof p === 'number'));
    assert.notEqual(extra.a.port, pair.a.port);
    extra.freeze('a');
    await Promise.all([extra.destroy(), extra.destroy()]);
    await extra.destroy();
    assert.equal(fs.existsSync(extra.dir), false);
    for (const p of pids) assert.equal(fs.existsSync(`/proc/${p}`), false, `pid ${p} still exists`);
  });
});
