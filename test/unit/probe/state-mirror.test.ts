/**
 * The failover state mirror (src/probe/state-mirror.ts) in a probe, on a
 * keyed heartbeat table the test keeps in memory: the stamp's own statement
 * carries the state, a change to a state that never stamps is copied once,
 * a failed copy is retried by a later probe and never changes the answer,
 * maintenance copies on a session of its own, and the read-only modes and
 * tables without the columns are never written. On a real pair: test/pair/pool.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from '../../../src/config/argv';
import { resolveOptions } from '../../../src/config/option-merge';
import { COMMON_OPTIONS } from '../../../src/config/option-specs';
import { checkSettings, type CheckSettings } from '../../../src/config/settings';
import { CheckError } from '../../../src/core/errors';
import type { Session } from '../../../src/io/mysql';
import { probe, type ProbeOptions } from '../../../src/probe/probe';
import type { SessionSource } from '../../../src/probe/session-source';

let dir = '';
let seq = 0;

function settings(extra: string[] = []): CheckSettings {
  const args = ['--no-defaults', '--socket=/nonexistent/local.sock', ...extra];
  return checkSettings(resolveOptions(parseArgs(args, COMMON_OPTIONS), COMMON_OPTIONS));
}

/** With a failover state of its own (a fresh state file each time). */
function stateful(extra: string[] = []): CheckSettings {
  return settings([`--state-file=${path.join(dir, `state-${++seq}.ini`)}`, ...extra]);
}

interface Row {
  lastcheck: number | null;
  state: string | null;
  state_since: number | null;
}

interface Table extends SessionSource {
  /** This node's row (node '1'); the columns exist when `mirrorColumns`. */
  row: Row;
  writes: Array<{ sql: string; params: readonly unknown[] }>;
  acquired: number;
  released: boolean[];
  /** Statements matching this are refused as a read-only server refuses them. */
  refuse?: RegExp;
}

const NOW = 10_000;

/** A server whose keyed table has this node's row; `lag` null: replication stopped. */
function table(opts: { age: number; lag: number | null; mirrorColumns?: boolean }): Table {
  const t: Table = {
    row: { lastcheck: NOW - opts.age, state: null, state_since: null },
    writes: [],
    acquired: 0,
    released: [],
    async acquire() {
      t.acquired++;
      return session;
    },
    release(_role, _s, failed) {
      t.released.push(failed);
    },
  };
  const session: Session = {
    async query(sql) {
      if (sql.startsWith('SELECT UNIX_TIMESTAMP()')) {
        const base = {
          mfc_now: NOW,
          mfc_version: '10.11.6-MariaDB',
          mfc_server_id: 1,
          mfc_read_only: 0,
          node: '1',
          lastcheck: t.row.lastcheck,
        };
        return [opts.mirrorColumns === false ? base : { ...base, state: t.row.state, state_since: t.row.state_since }];
      }
      return [
        {
          Connection_name: '',
          Slave_IO_Running: 'Yes',
          Slave_SQL_Running: opts.lag === null ? 'No' : 'Yes',
          Seconds_Behind_Master: opts.lag,
        },
      ];
    },
    async execute(sql, params) {
      if (sql.startsWith('SET') || sql === 'ROLLBACK') return { affectedRows: 0 };
      if (t.refuse?.test(sql)) throw new CheckError('READ_ONLY', 'local server: statement: ER_OPTION_PREVENTS_STATEMENT (1290)');
      t.writes.push({ sql, params });
      if (/\bstate\b/.test(sql)) {
        t.row.state = params[1] as string | null;
        t.row.state_since = params[2] as number | null;
      }
      if (/VALUES \(\?, UNIX_TIMESTAMP\(\)/.test(sql)) t.row.lastcheck = NOW;
      return { affectedRows: 1 };
    },
    async ping() {
      return undefined;
    },
    close() {
      return undefined;
    },
  };
  return t;
}

const LB = (sessions: SessionSource): ProbeOptions => ({
  stamp: true,
  alwaysReadReplication: false,
  sessions,
  failover: { mode: 'write', actor: 'probe' },
});

/** The statements that wrote the mirror without a stamp. */
const copies = (t: Table) => t.writes.filter((w) => /VALUES \(COALESCE/.test(w.sql));

describe('the state mirror', () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("the stamp's own statement carries the state: one write, no copy", async () => {
    const t = table({ age: 5, lag: 0 });
    const before = Date.now();
    const r = await probe(stateful(), LB(t));
    assert.equal(r.stamped, true);
    assert.equal(t.writes.length, 1);
    assert.match(
      t.writes[0]?.sql ?? '',
      /^INSERT INTO .* \(node, lastcheck, state, state_since\) VALUES \(\?, UNIX_TIMESTAMP\(\), \?, \?\)/,
    );
    assert.equal(t.row.state, 'up');
    const since = t.row.state_since ?? 0;
    assert.ok(since >= Math.floor(before / 1000) && since <= Math.ceil(Date.now() / 1000), String(since));
  });

  test('a change to a state that never stamps is copied once; the next probe finds the copy and writes nothing', async () => {
    const s = stateful();
    const t = table({ age: 300, lag: null });
    const r = await probe(s, LB(t));
    assert.equal(r.decision.reason, 'replication-stopped');
    assert.equal(r.stamped, false);
    assert.equal(copies(t).length, 1);
    assert.equal(t.row.state, 'down');
    await probe(s, LB(t));
    assert.equal(copies(t).length, 1, 'an unchanged state is not written again');
  });

  test('a copy the server refuses changes no answer; a later probe copies it', async () => {
    const s = stateful();
    const t = table({ age: 300, lag: null });
    t.refuse = /COALESCE/;
    const r = await probe(s, LB(t));
    assert.equal(r.decision.verdict, 'DOWN');
    assert.equal(r.decision.reason, 'replication-stopped');
    assert.equal(t.row.state, null);
    assert.deepEqual(t.released, [true], 'the session that failed is not trusted again');
    delete t.refuse;
    await probe(s, LB(t));
    assert.equal(t.row.state, 'down');
  });

  test('a node without a failover state clears the copy with its stamp, so an old state does not outlive its options', async () => {
    const t = table({ age: 5, lag: 0 });
    t.row.state = 'failed';
    t.row.state_since = 5;
    await probe(settings(), { ...LB(t), failover: undefined });
    assert.equal(t.writes.length, 1);
    assert.deepEqual(t.writes[0]?.params, ['1', null, null, null, null]);
  });

  test('a table without the state columns: no statement names them', async () => {
    const s = stateful();
    const up = table({ age: 5, lag: 0, mirrorColumns: false });
    await probe(s, LB(up));
    const down = table({ age: 300, lag: null, mirrorColumns: false });
    await probe(stateful(), LB(down));
    for (const w of [...up.writes, ...down.writes]) assert.doesNotMatch(w.sql, /state/);
    assert.equal(down.writes.length, 0);
  });

  test('entering maintenance is copied on a session of its own; staying in it asks no server', async () => {
    const file = path.join(dir, 'maintenance');
    fs.writeFileSync(file, '');
    try {
      const s = { ...stateful(), maintenanceFile: file };
      const t = table({ age: 5, lag: 0 });
      const r = await probe(s, LB(t));
      assert.equal(r.decision.reason, 'maintenance');
      assert.equal(t.acquired, 1);
      assert.deepEqual(copies(t)[0]?.params.slice(0, 2), [null, 'maintenance'], 'the row of the server_id (no --node)');
      await probe(s, LB(t));
      assert.equal(t.acquired, 1);
    } finally {
      fs.rmSync(file);
    }
  });

  test('the read-only modes never write the copy', async () => {
    const t = table({ age: 300, lag: null });
    const r = await probe(stateful(), {
      stamp: false,
      trialStamp: true,
      alwaysReadReplication: true,
      sessions: t,
      failover: { mode: 'read', actor: 'probe' },
    });
    assert.equal(r.decision.reason, 'replication-stopped');
    assert.deepEqual(t.writes, []);
  });
});
