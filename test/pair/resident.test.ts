/**
 * The resident engine (src/resident/engine.ts) in this process against a real
 * MariaDB pair: what the servers see (queries, connections) proves
 * single-flight, the cache and kept sessions; stopping and freezing the
 * local node proves reconnecting and the bounded answer.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pair, type NodeName } from '../support/pair';
import { nodeOptionFile } from '../support/lb-setup';
import { parseArgs } from '../../src/config/argv';
import { resolveOptions } from '../../src/config/option-merge';
import { COMMON_OPTIONS } from '../../src/config/option-specs';
import { checkSettings, type CheckSettings } from '../../src/config/settings';
import { startResident, type Resident, type ResidentOptions } from '../../src/resident/engine';
import type { Decision } from '../../src/core/decide';
import { until } from '../support/until';

const TABLE = 'status_example.lastcheck';
let pair: Pair;
let dir: string;
const residents: Resident[] = [];

function settings(extra: Record<string, string> = {}): CheckSettings {
  const file = nodeOptionFile(pair, 'a', dir, Object.keys(extra).join('-') || 'base', { table: TABLE, ...extra });
  const args = parseArgs([`--defaults-file=${file}`], COMMON_OPTIONS);
  return checkSettings(resolveOptions(args, COMMON_OPTIONS));
}

function start(s: CheckSettings, opts: Partial<ResidentOptions> = {}): { resident: Resident; checks: Decision[] } {
  const checks: Decision[] = [];
  const resident = startResident(s, { cacheMs: 0, onCheck: (d) => checks.push(d), ...opts });
  residents.push(resident);
  return { resident, checks };
}

async function globalStatus(node: NodeName, name: string): Promise<number> {
  const rows = await pair.sql(node, `SHOW GLOBAL STATUS LIKE '${name}'`);
  return Number(rows[0]?.Value);
}

/** The monitor user's sessions on `node`, from the processlist. */
async function monitorSessions(node: NodeName): Promise<number> {
  const rows = await pair.sql(node, 'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = ?', [pair.monitorUser]);
  return Number(rows[0]?.n);
}

describe('resident engine on a real pair', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mfc-resident-'));
    pair = await Pair.start({ name: 'resident' });
    await pair.sql('a', `UPDATE ${TABLE} SET lastcheck = UNIX_TIMESTAMP()`);
    await pair.waitCaughtUp('b');
  });
  after(async () => {
    await Promise.all(residents.map((r) => r.close()));
    await pair?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => pair.restore());

  test('concurrent probes share one check: one heartbeat read on the server for 50 probes', async () => {
    const { resident, checks } = start(settings());
    await resident.probe(); // connects
    const before = await globalStatus('a', 'Com_select');
    const answers = await Promise.all(Array.from({ length: 50 }, () => resident.probe()));
    const after = await globalStatus('a', 'Com_select');
    assert.ok(
      answers.every((d) => d.verdict === 'UP' && d.reason === 'fresh'),
      JSON.stringify(answers[0]),
    );
    assert.equal(after - before, 1, 'one SELECT for the burst');
    assert.equal(checks.length, 2, 'onCheck once per check, not per probe');
  });

  test('sessions are kept: further checks open no connection, and the stamp moves on each', async () => {
    const { resident } = start(settings());
    await resident.probe();
    await pair.sql('a', `UPDATE ${TABLE} SET lastcheck = UNIX_TIMESTAMP() - 10`);
    const before = await globalStatus('a', 'Connections');
    const beforePeer = await globalStatus('b', 'Connections');
    for (let i = 0; i < 5; i++) assert.equal((await resident.probe()).verdict, 'UP');
    // Our own SHOW STATUS connections (root) are the only new ones: one per globalStatus() call.
    assert.equal((await globalStatus('a', 'Connections')) - before, 1);
    assert.equal((await globalStatus('b', 'Connections')) - beforePeer, 1);
    const rows = await pair.sql('a', `SELECT UNIX_TIMESTAMP() - lastcheck AS age FROM ${TABLE}`);
    assert.ok(Number(rows[0]?.age) <= 1, 'the check stamped the heartbeat');
  });

  test('a kept session the server killed is noticed before use: the next probe reconnects and still says UP', async () => {
    const { resident } = start(settings());
    await resident.probe();
    const ids = (await pair.sql('a', 'SHOW PROCESSLIST')).filter((r) => r.User === pair.monitorUser).map((r) => Number(r.Id));
    assert.ok(ids.length >= 1);
    for (const id of ids) await pair.sql('a', `KILL CONNECTION ${id}`);
    const before = await globalStatus('a', 'Connections');
    const d = await resident.probe();
    assert.equal(d.verdict, 'UP', d.detail);
    assert.equal(d.reason, 'fresh');
    // Our SHOW STATUS connection, and one new session for the check.
    assert.equal((await globalStatus('a', 'Connections')) - before, 2);
  });

  test('a cached decision is reused without touching the server', async () => {
    const { resident, checks } = start(settings(), { cacheMs: 600_000 });
    await resident.probe();
    const before = await globalStatus('a', 'Com_select');
    for (let i = 0; i < 20; i++) assert.equal((await resident.probe()).verdict, 'UP');
    assert.equal((await globalStatus('a', 'Com_select')) - before, 0);
    assert.equal(checks.length, 1);
  });

  test('the maintenance file flips the answer at once, whatever the cache, and its removal flips it back', async () => {
    const maintenance = join(dir, 'maintenance');
    const { resident } = start(settings({ 'maintenance-file': maintenance }), { cacheMs: 600_000 });
    assert.equal((await resident.probe()).verdict, 'UP');
    writeFileSync(maintenance, '');
    try {
      const d = await resident.probe();
      assert.equal(d.verdict, 'DOWN');
      assert.equal(d.reason, 'maintenance');
    } finally {
      rmSync(maintenance, { force: true });
    }
    assert.equal((await resident.probe()).verdict, 'UP');
  });

  test('a restarted local server: DOWN while it is away, UP again once it is back, with the same engine', async () => {
    const { resident } = start(settings({ timeout: '2' }));
    assert.equal((await resident.probe()).verdict, 'UP');
    await pair.stop('a');
    const down = await resident.probe();
    assert.equal(down.verdict, 'DOWN');
    assert.equal(down.reason, 'local-unreachable');
    // While the server is away, answers come from the backoff without a connect attempt, still DOWN.
    for (let i = 0; i < 3; i++) assert.equal((await resident.probe()).reason, 'local-unreachable');
    await pair.startNode('a');
    await until('UP after the restart', async () => (await resident.probe()).verdict === 'UP');
  });

  test('a frozen local server: every probe is answered DOWN, and the engine recovers after SIGCONT', async () => {
    const s = settings({ timeout: '1' });
    const { resident } = start(s);
    assert.equal((await resident.probe()).verdict, 'UP');
    pair.freeze('a');
    try {
      for (let i = 0; i < 3; i++) {
        const d = await resident.probe();
        assert.equal(d.verdict, 'DOWN');
        assert.ok(d.reason === 'local-unreachable' || d.reason === 'error', d.reason);
      }
    } finally {
      pair.thaw('a');
    }
    await until('UP after SIGCONT', async () => (await resident.probe()).verdict === 'UP');
  });

  test('close() ends every session on both servers', async () => {
    const { resident } = start(settings());
    await resident.probe();
    assert.ok((await monitorSessions('a')) >= 1);
    for (const r of residents) await r.close();
    await until('no monitor session left on a', async () => (await monitorSessions('a')) === 0, 5000);
    await until('no monitor session left on b', async () => (await monitorSessions('b')) === 0, 5000);
  });
});
