/**
 * Holding a failover (docs/design.md, "Holding a failover") on the real
 * pair, through the executables as snmpd, xinetd and an operator run them:
 * hysteresis both ways, manual failback and `recover`, a host "powered off",
 * a lazy load balancer, never dropping the last node, the flap latch,
 * concurrent probes, corrupt state files, and read-only modes that write
 * nothing. The clock is real: waits are kept to seconds.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Pair } from '../support/pair';
import { createKeyedHeartbeat, nodeOptionFile } from '../support/lb-setup';
import { makeTempDir } from '../support/run-dir';
import { runBin } from '../support/run-bin';

const TABLE = 'mysql_failover.heartbeat';
let pair: Pair;
let dir: string;
let seq = 0;

interface Node {
  file: string;
  stateFile: string;
  log: string;
}

/** A fresh option file, state file and log for node a, with these failover options. */
function nodeA(extra: Record<string, string>): Node {
  const n = ++seq;
  const stateFile = join(dir, `state-${n}.ini`);
  const log = join(dir, `log-${n}.log`);
  const file = nodeOptionFile(pair, 'a', dir, `f${n}`, { table: TABLE, timeout: '2', 'state-file': stateFile, 'log-file': log, ...extra });
  return { file, stateFile, log };
}

async function snmp(n: Node): Promise<string> {
  const r = await runBin('mysql-failover-snmp', [`--defaults-file=${n.file}`]);
  assert.equal(r.stderr, '');
  return r.stdout.trim();
}

async function statusJson(n: Node): Promise<Record<string, any>> {
  const r = await runBin('mysql-failover-check', ['status', '--json', `--defaults-file=${n.file}`]);
  return JSON.parse(r.stdout);
}

function logLines(n: Node): string[] {
  return existsSync(n.log) ? readFileSync(n.log, 'utf8').trim().split('\n') : [];
}

function transitions(n: Node): string[] {
  return logLines(n)
    .map((l) => / transition=(\S+) /.exec(l)?.[1])
    .filter((t): t is string => t !== undefined);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Probes every `everyMs` for `forMs`, recording when (ms since `t0`) each answer came. */
async function probeFor(n: Node, t0: number, forMs: number, everyMs = 400): Promise<Array<{ at: number; answer: string }>> {
  const out: Array<{ at: number; answer: string }> = [];
  while (Date.now() - t0 < forMs) {
    const answer = await snmp(n);
    out.push({ at: Date.now() - t0, answer });
    await sleep(everyMs);
  }
  return out;
}

/** Makes the heartbeat table vanish (DOWN heartbeat-missing) and come back: a DOWN that needs no server restart. */
async function hideTable(): Promise<void> {
  await pair.sql('a', `RENAME TABLE ${TABLE} TO mysql_failover.hidden`);
}
async function showTable(): Promise<void> {
  await pair.sql('a', `RENAME TABLE mysql_failover.hidden TO ${TABLE}`);
}

async function startA(): Promise<void> {
  await pair.startNode('a');
  await pair.waitReplicationRunning('a');
  await pair.waitCaughtUp('a');
}

describe('holding a failover, on a real pair', () => {
  before(async () => {
    pair = await Pair.start({ name: 'hold' });
    dir = makeTempDir('hold-');
    await createKeyedHeartbeat(pair);
  });
  after(async () => {
    await pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await pair.restore();
    if ((await pair.sql('a', "SHOW TABLES FROM mysql_failover LIKE 'hidden'")).length > 0) await showTable();
  });

  test('--down-after 4 and --up-after 4: the stopped server is UP for 4 s, then DOWN; back, DOWN for 4 s, then UP', async () => {
    const n = nodeA({ 'down-after': '4', 'up-after': '4' });
    assert.equal(await snmp(n), '100');
    await pair.stop('a');
    const down = await probeFor(n, Date.now(), 6_500);
    const firstDown = down.find((p) => p.answer === '200');
    assert.ok(firstDown, JSON.stringify(down));
    for (const p of down) if (p.at < 3_900) assert.equal(p.answer, '100', `UP while failing: ${JSON.stringify(down)}`);
    assert.ok(firstDown.at >= 4_000 && firstDown.at < 6_500, JSON.stringify(down));
    assert.deepEqual(transitions(n), ['none->up', 'up->failing', 'failing->down']);

    await startA();
    const up = await probeFor(n, Date.now(), 6_500);
    const firstUp = up.find((p) => p.answer === '100');
    assert.ok(firstUp, JSON.stringify(up));
    for (const p of up) if (p.at < 3_900) assert.equal(p.answer, '200', `DOWN while recovering: ${JSON.stringify(up)}`);
    assert.ok(firstUp.at >= 4_000, JSON.stringify(up));
    assert.deepEqual(transitions(n).slice(3), ['down->recovering', 'recovering->up']);
  });

  test('--failback manual: DOWN stays DOWN (awaiting-recover) after catching up; recover refuses while replication is stopped', async () => {
    const n = nodeA({ failback: 'manual', fresh: '2' });
    assert.equal(await snmp(n), '100');
    await pair.stop('a');
    assert.equal(await snmp(n), '200');
    await startA();
    assert.equal(await snmp(n), '200');
    await sleep(3_000); // longer than --fresh: the heartbeat alone would not bring it back either
    assert.equal(await snmp(n), '200');
    const s = await statusJson(n);
    assert.equal(s.state.name, 'failed');
    assert.equal(s.reason, 'awaiting-recover');
    assert.match(s.state.ends, /recover/);

    await pair.sql('a', 'STOP SLAVE');
    const refused = await runBin('mysql-failover-check', ['recover', `--defaults-file=${n.file}`]);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /refused: the node would not be UP by itself: DOWN \(replication-stopped\)/);
    assert.equal(await snmp(n), '200');

    await pair.sql('a', 'START SLAVE');
    await pair.waitReplicationRunning('a');
    const ok = await runBin('mysql-failover-check', ['recover', `--defaults-file=${n.file}`], {
      env: { PATH: process.env['PATH'] ?? '', SUDO_USER: 'alice' },
    });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^recovered: failed -> up by alice at /);
    assert.equal(await snmp(n), '100');
    assert.ok(transitions(n).includes('failed->up'));
    assert.match(logLines(n).find((l) => l.includes('transition=failed->up')) ?? '', /actor=operator/);
    const after = await statusJson(n);
    assert.equal(after.state.recovered.by, 'alice');
  });

  test('a host "powered off" (server stopped, nothing probing) and back, caught up: failed with manual failback, UP with auto', async () => {
    const manual = nodeA({ failback: 'manual' });
    const auto = nodeA({});
    assert.equal(await snmp(manual), '100');
    assert.equal(await snmp(auto), '100');
    await pair.stop('a');
    await sleep(3_000);
    await startA();
    assert.equal(await snmp(manual), '200');
    const s = await statusJson(manual);
    assert.equal(s.state.name, 'failed');
    assert.equal(s.state.latch.reason, 'restarted');
    assert.match(s.state.latch.evidence, /the server restarted \d+ s ago, after its last stamp \d+ s ago/);
    assert.equal(await snmp(auto), '100');
  });

  test('a lazy load balancer (no probe for 3 x --fresh, no restart) is not a failure', async () => {
    const n = nodeA({ failback: 'manual', fresh: '2' });
    assert.equal(await snmp(n), '100');
    await sleep(6_500);
    assert.equal(await snmp(n), '100');
    assert.equal((await statusJson(n)).state.name, 'up');
  });

  test('never drop the last node: a failed node whose peer is stopped answers UP, and stays failed', async () => {
    const n = nodeA({ failback: 'manual' });
    assert.equal(await snmp(n), '100');
    await hideTable();
    assert.equal(await snmp(n), '200');
    await showTable();
    assert.equal(await snmp(n), '200');
    await pair.stop('b');
    assert.equal(await snmp(n), '100');
    const s = await statusJson(n);
    assert.equal(s.state.name, 'failed');
    assert.equal(s.reason, 'peer-unreachable');
    assert.match(s.detail, /failed, but the peer is unreachable: taking traffic as the last node/);
  });

  test('flapping: 2 DOWN turns within the window latch the node, even with --failback auto', async () => {
    const n = nodeA({ 'flap-limit': '2', 'flap-window': '60' });
    assert.equal(await snmp(n), '100');
    await hideTable();
    assert.equal(await snmp(n), '200');
    await showTable();
    assert.equal(await snmp(n), '100');
    await hideTable();
    assert.equal(await snmp(n), '200');
    await showTable();
    assert.equal(await snmp(n), '200');
    const s = await statusJson(n);
    assert.equal(s.state.name, 'failed');
    assert.equal(s.state.latch.reason, 'flapping');
  });

  test('20 concurrent single-shot probes lose no transition: one up->down, every answer DOWN', async () => {
    // A generous --timeout: 20 processes starting at once on a small machine must not time out (that is a DOWN of its own).
    const n = nodeA({ timeout: '15' });
    assert.equal(await snmp(n), '100');
    await hideTable();
    const answers = await Promise.all(Array.from({ length: 20 }, () => snmp(n)));
    assert.deepEqual(new Set(answers), new Set(['200']), logLines(n).join('\n'));
    assert.deepEqual(transitions(n), ['none->up', 'up->down']);
    await showTable();
    const back = await Promise.all(Array.from({ length: 20 }, () => snmp(n)));
    assert.deepEqual(new Set(back), new Set(['100']), logLines(n).join('\n'));
    assert.deepEqual(transitions(n), ['none->up', 'up->down', 'down->up']);
  });

  test('a corrupt state file: DOWN state-unreadable with manual failback until recover --force; a fresh start with auto', async () => {
    const manual = nodeA({ failback: 'manual' });
    writeFileSync(manual.stateFile, 'garbage\x00[state\n');
    assert.equal(await snmp(manual), '200');
    assert.equal((await statusJson(manual)).reason, 'state-unreadable');
    assert.equal(readFileSync(manual.stateFile, 'utf8'), 'garbage\x00[state\n', 'never overwritten');
    assert.ok(
      logLines(manual).some((l) => /verdict=DOWN reason=state-unreadable/.test(l)),
      logLines(manual).join('\n'),
    );
    const refused = await runBin('mysql-failover-check', ['recover', `--defaults-file=${manual.file}`]);
    assert.equal(refused.code, 1);
    const forced = await runBin('mysql-failover-check', ['recover', '--force', `--defaults-file=${manual.file}`]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(await snmp(manual), '100');

    const auto = nodeA({});
    writeFileSync(auto.stateFile, 'garbage\n');
    assert.equal(await snmp(auto), '100');
    assert.ok(
      logLines(auto).some((l) => /state_file=".*started afresh/.test(l)),
      logLines(auto).join('\n'),
    );
    const copies = readdirSync(dir).filter((f) => f.startsWith(`${basename(auto.stateFile)}.corrupt-`));
    assert.equal(copies.length, 1, 'the corrupt file is kept beside the new one');
    assert.equal(readFileSync(join(dir, copies[0] as string), 'utf8'), 'garbage\n');
  });

  test('the plugin and status leave the state file byte-identical', async () => {
    const n = nodeA({ 'down-after': '30' });
    assert.equal(await snmp(n), '100');
    await hideTable();
    assert.equal(await snmp(n), '100', 'failing: still UP');
    const before = readFileSync(n.stateFile);
    const mtime = statSync(n.stateFile).mtimeMs;
    const plugin = await runBin('check_mysql_failover', [`--defaults-file=${n.file}`]);
    assert.match(plugin.stdout, /^MYSQL FAILOVER WARNING - .*failover state failing/);
    assert.equal(plugin.code, 1);
    const status = await runBin('mysql-failover-check', ['status', `--defaults-file=${n.file}`]);
    assert.match(status.stdout, /^failover {6}failing since /m);
    assert.deepEqual(readFileSync(n.stateFile), before);
    assert.equal(statSync(n.stateFile).mtimeMs, mtime);
  });
});
