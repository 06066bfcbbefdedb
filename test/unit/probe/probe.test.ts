/**
 * One probe (src/probe/probe.ts) on sessions the test controls: which
 * statements each verdict costs, the stamp and its failure, the peer, the
 * maintenance file, and the hard deadline when a step ignores its own.
 * Against a real MariaDB pair: test/pair/.
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
import { probe } from '../../../src/probe/probe';
import type { NodeRole, SessionSource } from '../../../src/probe/session-source';

/** The defaults, on a socket nothing listens on (the sessions are the test's anyway). */
const SETTINGS: CheckSettings = checkSettings(
  resolveOptions(parseArgs(['--no-defaults', '--socket=/nonexistent/local.sock'], COMMON_OPTIONS), COMMON_OPTIONS),
);

interface FakeServer {
  /** Seconds since the last stamp. */
  age: number;
  /** The replica's lag; null: replication stopped. */
  lag: number | null;
  /** A statement whose text matches this fails as a read-only server refuses it. */
  refuse?: RegExp;
  /** Queries never answer (a frozen server that ignores our deadline). */
  hang?: boolean;
  /** The local server cannot be reached at all. */
  unreachable?: boolean;
}

interface Fake extends SessionSource {
  statements: string[];
  released: Array<{ role: NodeRole; failed: boolean }>;
  acquired: NodeRole[];
  pings: number;
}

function fake(server: FakeServer, peer: 'up' | 'down' = 'up', freshLogins?: true): Fake {
  const statements: string[] = [];
  const session: Session = {
    async query(sql) {
      statements.push(sql);
      if (server.hang) return new Promise(() => undefined);
      if (sql.startsWith('SELECT UNIX_TIMESTAMP()')) {
        return [{ mfc_now: 10_000, mfc_version: '10.11.6-MariaDB', mfc_server_id: 1, node: '1', lastcheck: 10_000 - server.age }];
      }
      return [
        {
          Connection_name: '',
          Slave_IO_Running: 'Yes',
          Slave_SQL_Running: server.lag === null ? 'No' : 'Yes',
          Seconds_Behind_Master: server.lag,
        },
      ];
    },
    async execute(sql) {
      statements.push(sql);
      if (server.refuse?.test(sql))
        throw new CheckError('READ_ONLY', 'local server: statement: ER_OPTION_PREVENTS_STATEMENT (1290): read-only');
      return { affectedRows: 1 };
    },
    async ping() {
      f.pings++;
    },
    close() {
      return undefined;
    },
  };
  const f: Fake = {
    statements,
    released: [],
    acquired: [],
    pings: 0,
    ...(freshLogins ? { freshLogins } : {}),
    async acquire(role) {
      f.acquired.push(role);
      if (role === 'peer' && peer === 'down') throw new CheckError('CONNECT_FAILED', 'peer: connect: ECONNREFUSED');
      if (role === 'local' && server.unreachable) throw new CheckError('CONNECT_FAILED', 'local server: connect: ECONNREFUSED');
      return session;
    },
    release(role, _session, failed) {
      f.released.push({ role, failed });
    },
  };
  return f;
}

const LB = { stamp: true, alwaysReadReplication: false } as const;

describe('verdicts and what they cost', () => {
  test('fresh heartbeat: UP, one read, then the stamp; replication is not asked', async () => {
    const sessions = fake({ age: 5, lag: 0 });
    const r = await probe(SETTINGS, { ...LB, sessions });
    assert.equal(r.decision.reason, 'fresh');
    assert.equal(r.stamped, true);
    assert.equal(r.timedOut, false);
    assert.ok(!sessions.statements.some((s) => s.startsWith('SHOW')), sessions.statements.join('\n'));
    assert.ok(sessions.statements.some((s) => s.startsWith('INSERT INTO `mysql_failover`.`heartbeat`')));
    assert.deepEqual(sessions.released, [{ role: 'local', failed: false }]);
  });

  test('stale and caught up: replication is read, then UP and stamped', async () => {
    const sessions = fake({ age: 300, lag: 0 });
    const r = await probe(SETTINGS, { ...LB, sessions });
    assert.equal(r.decision.reason, 'caught-up');
    assert.equal(r.stamped, true);
    assert.ok(sessions.statements.includes('SHOW ALL SLAVES STATUS'));
  });

  test('stale and stopped: DOWN, and a DOWN verdict never stamps', async () => {
    const sessions = fake({ age: 300, lag: null });
    const r = await probe(SETTINGS, { ...LB, sessions });
    assert.equal(r.decision.reason, 'replication-stopped');
    assert.equal(r.stamped, false);
    assert.ok(!sessions.statements.some((s) => s.startsWith('INSERT') || s.startsWith('UPDATE')));
  });

  test('monitoring reads replication even when fresh, and only tries the stamp, rolled back', async () => {
    const sessions = fake({ age: 5, lag: 0 });
    const r = await probe(SETTINGS, { stamp: false, trialStamp: true, alwaysReadReplication: true, sessions });
    assert.equal(r.decision.reason, 'fresh');
    assert.equal(r.stamped, false);
    assert.ok(sessions.statements.includes('SHOW ALL SLAVES STATUS'));
    // Rolled back, then the session put back to autocommit for whoever reads on it next (a kept session).
    assert.deepEqual(sessions.statements.slice(-2), ['ROLLBACK', 'SET SESSION autocommit = 1']);
    assert.ok(!sessions.statements.some((s) => s.startsWith('INSERT')));
  });

  test('a stamp the server refuses: DOWN heartbeat-write-failed, and that session is not trusted again', async () => {
    const sessions = fake({ age: 5, lag: 0, refuse: /^INSERT/ });
    const r = await probe(SETTINGS, { ...LB, sessions });
    assert.equal(r.decision.verdict, 'DOWN');
    assert.equal(r.decision.reason, 'heartbeat-write-failed');
    assert.equal(r.stamped, false);
    assert.deepEqual(sessions.released, [{ role: 'local', failed: true }]);
  });

  test('a peer that cannot be reached: UP peer-unreachable, and this node stamps', async () => {
    const sessions = fake({ age: 300, lag: null }, 'down');
    const r = await probe({ ...SETTINGS, peer: { host: 'db2', port: 3306 } }, { ...LB, sessions });
    assert.equal(r.decision.reason, 'peer-unreachable');
    assert.equal(r.stamped, true);
    assert.deepEqual(sessions.acquired.sort(), ['local', 'peer']);
  });
});

describe('the peer', () => {
  const PEER: CheckSettings = { ...SETTINGS, peer: { host: 'db2', port: 3306 } };

  test('a session that just logged in is not pinged; a kept one (no freshLogins) is', async () => {
    const fresh = fake({ age: 5, lag: 0 }, 'up', true);
    assert.equal((await probe(PEER, { ...LB, sessions: fresh })).decision.reason, 'fresh');
    assert.deepEqual(fresh.acquired.sort(), ['local', 'peer']);
    assert.equal(fresh.pings, 0);
    const kept = fake({ age: 5, lag: 0 });
    await probe(PEER, { ...LB, sessions: kept });
    assert.equal(kept.pings, 1);
  });

  test('skipPeerWhenFresh, heartbeat fresh: UP and stamped without asking the peer, even one that is down', async () => {
    const sessions = fake({ age: 5, lag: 0 }, 'down');
    const r = await probe(PEER, { ...LB, skipPeerWhenFresh: true, sessions });
    assert.equal(r.decision.verdict, 'UP');
    assert.equal(r.decision.reason, 'fresh');
    assert.equal(r.stamped, true);
    assert.deepEqual(sessions.acquired, ['local']);
    assert.ok(r.decision.steps.includes('peer not asked: the heartbeat decides'), r.decision.steps.join('\n'));
    // Without the option the same pair answers UP too, for another reason: the answer is the same.
    const full = await probe(PEER, { ...LB, sessions: fake({ age: 5, lag: 0 }, 'down') });
    assert.equal(full.decision.verdict, 'UP');
    assert.equal(full.stamped, true);
  });

  test('skipPeerWhenFresh, heartbeat stale: the peer is asked, and an unreachable one still decides (row 2)', async () => {
    const sessions = fake({ age: 300, lag: null }, 'down');
    const r = await probe(PEER, { ...LB, skipPeerWhenFresh: true, sessions });
    assert.equal(r.decision.reason, 'peer-unreachable');
    assert.equal(r.stamped, true);
    assert.deepEqual(sessions.acquired.sort(), ['local', 'peer']);
  });

  test('skipPeerWhenFresh, local server unreachable: DOWN without asking the peer', async () => {
    const sessions = fake({ age: 5, lag: 0, unreachable: true }, 'down');
    const r = await probe(PEER, { ...LB, skipPeerWhenFresh: true, sessions });
    assert.equal(r.decision.reason, 'local-unreachable');
    assert.deepEqual(sessions.acquired, ['local']);
  });

  test('skipPeerWhenFresh is ignored when something shows the peer: a log file, a failover state', async () => {
    const withState = checkSettings(
      resolveOptions(
        parseArgs(['--no-defaults', '--socket=/nonexistent/local.sock', '--state-file=/nonexistent/state'], COMMON_OPTIONS),
        COMMON_OPTIONS,
      ),
    );
    assert.notEqual(withState.failover, undefined);
    for (const settings of [
      { ...PEER, logFile: '/nonexistent/log' },
      { ...withState, peer: PEER.peer },
    ]) {
      const sessions = fake({ age: 5, lag: 0 }, 'down');
      const r = await probe(settings, { ...LB, skipPeerWhenFresh: true, sessions });
      assert.equal(r.decision.reason, 'peer-unreachable', 'the log line names the peer as it did');
      assert.deepEqual(sessions.acquired.sort(), ['local', 'peer']);
    }
  });
});

describe('maintenance', () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('while the file exists no server is asked; when it goes, the next probe asks again', async () => {
    const file = path.join(dir, 'maintenance');
    fs.writeFileSync(file, '');
    const sessions = fake({ age: 5, lag: 0 });
    const r = await probe({ ...SETTINGS, maintenanceFile: file }, { ...LB, sessions });
    assert.equal(r.decision.reason, 'maintenance');
    assert.equal(r.facts?.maintenance, true);
    assert.deepEqual(sessions.acquired, []);
    fs.rmSync(file);
    assert.equal((await probe({ ...SETTINGS, maintenanceFile: file }, { ...LB, sessions })).decision.reason, 'fresh');
  });
});

describe('the hard deadline', () => {
  test('a step that ignores its deadline: the probe still settles, DOWN error TIMEOUT, within --timeout', async () => {
    const sessions = fake({ age: 5, lag: 0, hang: true });
    const startedAt = Date.now();
    const r = await probe({ ...SETTINGS, timeoutMs: 300 }, { ...LB, sessions }, startedAt);
    assert.equal(r.timedOut, true);
    assert.equal(r.decision.verdict, 'DOWN');
    assert.equal(r.decision.reason, 'error');
    assert.match(r.decision.detail, /within --timeout/);
    assert.equal(r.facts, undefined);
    assert.ok(Date.now() - startedAt < 300 + 1000, "settles within the timeout (and the guard's slack)");
  });
});
