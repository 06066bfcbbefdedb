/**
 * Records the MariaDB replica-status fixtures from a real server:
 *   npx tsc -p tsconfig.json && node dist/test/support/record-replica-status.js
 * Writes test/fixtures/replica-status/mariadb-<version>-{single,multi}.json.
 * The expectations are read from the raw columns by hand-written mapping
 * here, not by src/core/replica-status.ts, so the unit test compares two readings.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './run-dir';
import { Pair } from './pair';

const OUT = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'replica-status');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function expectOf(row: Record<string, unknown>): Record<string, unknown> {
  return {
    name: row['Connection_name'],
    ioRunning: row['Slave_IO_Running'],
    sqlRunning: row['Slave_SQL_Running'],
    lag: row['Seconds_Behind_Master'],
    lastIoErrno: row['Last_IO_Errno'],
    lastSqlErrno: row['Last_SQL_Errno'],
    sqlDelay: row['SQL_Delay'],
  };
}

async function main(): Promise<void> {
  const pair = await Pair.start({ name: 'record' });
  try {
    const version = String((await pair.sql('a', 'SELECT VERSION() AS v'))[0].v);
    const major = /^(\d+\.\d+)/.exec(version)?.[1] ?? 'x';
    const show = () => pair.sql('a', 'SHOW ALL SLAVES STATUS');
    const single: unknown[] = [];
    const rec = async (name: string) => {
      const rows = await show();
      single.push({ name, expect: expectOf(rows[0]), rows });
    };
    await rec('running');
    await pair.sql('a', 'STOP SLAVE SQL_THREAD');
    await sleep(300);
    await rec('sql-thread-stopped');
    await pair.sql('a', 'START SLAVE SQL_THREAD');
    // A real duplicate-key conflict: a row on a that b does not know about.
    await pair.sql('b', 'CREATE DATABASE IF NOT EXISTS scratch');
    await pair.sql('b', 'CREATE TABLE scratch.t (id INT PRIMARY KEY)');
    await pair.waitCaughtUp('a');
    await pair.withConnection('a', async (c) => {
      await c.query('SET SESSION sql_log_bin = 0');
      await c.query('INSERT INTO scratch.t VALUES (1)');
    });
    await pair.sql('b', 'INSERT INTO scratch.t VALUES (1)');
    for (let i = 0; i < 50; i++) {
      const rows = await show();
      if (rows[0]?.Slave_SQL_Running === 'No') break;
      await sleep(100);
    }
    await rec('sql-error-duplicate-key');
    await pair.withConnection('a', async (c) => {
      await c.query('SET SESSION sql_log_bin = 0');
      await c.query('DELETE FROM scratch.t');
    });
    await pair.sql('a', 'START SLAVE SQL_THREAD');
    await pair.waitCaughtUp('a');
    await pair.sql('a', 'STOP SLAVE');
    await pair.sql('a', 'CHANGE MASTER TO MASTER_DELAY = 20');
    await pair.sql('a', 'START SLAVE');
    await pair.sql('b', 'INSERT INTO scratch.t VALUES (2)');
    for (let i = 0; i < 100; i++) {
      const rows = await show();
      if (Number(rows[0]?.Seconds_Behind_Master) >= 3) break;
      await sleep(100);
    }
    await rec('delayed-lagging');
    await pair.sql('a', 'STOP SLAVE');
    await rec('stopped');
    await pair.sql('a', 'CHANGE MASTER TO MASTER_DELAY = 0');
    await pair.sql('a', 'START SLAVE');
    await pair.waitReplicationRunning('a');
    writeFileSync(
      join(OUT, `mariadb-${major}-single.json`),
      JSON.stringify(
        { comment: `recorded from MariaDB ${version}: SHOW ALL SLAVES STATUS, default connection only`, version, cases: single },
        null,
        1,
      ) + '\n',
    );

    // Multi-source: a second named connection to a port where nothing listens.
    const deadPort = await freePort();
    await pair.sql(
      'a',
      `CHANGE MASTER 'other' TO MASTER_HOST='127.0.0.1', MASTER_PORT=${deadPort}, MASTER_USER='repl', MASTER_PASSWORD='x', MASTER_CONNECT_RETRY=1`,
    );
    await pair.sql('a', "START SLAVE 'other'");
    await sleep(1500);
    const multiRows = await show();
    await pair.sql('a', "STOP SLAVE 'other'");
    const multiStopped = await show();
    const multi = [
      { name: 'default-running-other-connecting', expect: null, expectAll: multiRows.map(expectOf), rows: multiRows },
      { name: 'default-running-other-stopped', expect: null, expectAll: multiStopped.map(expectOf), rows: multiStopped },
    ];
    writeFileSync(
      join(OUT, `mariadb-${major}-multi.json`),
      JSON.stringify(
        { comment: `recorded from MariaDB ${version}: SHOW ALL SLAVES STATUS with two connections`, version, cases: multi },
        null,
        1,
      ) + '\n',
    );
    console.log(`recorded from ${version}`);
  } finally {
    await pair.destroy();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
