/**
 * `mysql-failover-check demo` as a newcomer runs it: the real executable,
 * its own throwaway pair of real MariaDB servers, the real load-balancer
 * executables answering after each step.
 *
 * - The whole walk: exit 0, and every table shows what this test (not the
 *   demo's own check) says each step must show; afterwards no process names
 *   its directory and nothing is left in TMPDIR.
 * - --keep then --stop: the pair outlives the demo and answers, then nothing
 *   is left, pointer file included.
 * - SIGINT in the middle of the walk: exit 130, nothing left.
 *
 * Each run gets its own TMPDIR (where the demo makes its directory) and
 * XDG_CACHE_HOME (where --keep writes its pointer), so nothing outside the
 * test's run directory is read or written.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { binPath, runBin } from '../support/run-bin';
import { makeTempDir, registerPid } from '../support/run-dir';
import { REPO_ROOT } from '../support/repo';
import { assertNothingLeft, processesNaming, startWatched, withTimeout, type WatchedProcess } from '../support/watched-process';

/** A walk takes well under a minute; this only bounds a hung one. */
const WALK_BOUND_MS = 170_000;

interface Row {
  node: string;
  snmp: string;
  http: string;
  reason: string;
  agent: string;
}

/** What a row must show: the reason one of those listed. */
interface RowWanted {
  node: 'a' | 'b';
  snmp: string;
  http: string;
  reasons: readonly string[];
  agent: string;
}

const up = (node: 'a' | 'b', ...reasons: string[]): RowWanted => ({
  node,
  snmp: '100',
  http: '200',
  reasons: reasons.length > 0 ? reasons : ['fresh', 'caught-up'],
  agent: 'up ready',
});
const down = (node: 'a' | 'b', reason: string): RowWanted => ({
  node,
  snmp: '200',
  http: '503',
  reasons: [reason],
  agent: reason === 'maintenance' ? 'maint #maintenance' : `down ready #${reason}`,
});

/** The story, step by step, table by table: the blog posts' scenarios. */
const STORY: ReadonlyArray<ReadonlyArray<readonly [RowWanted, RowWanted]>> = [
  [[up('a'), up('b')]],
  [[down('a', 'local-unreachable'), up('b', 'peer-unreachable')]],
  [[down('a', 'catching-up'), up('b')]],
  [[up('a', 'caught-up'), up('b')]],
  [
    [down('a', 'maintenance'), up('b')],
    [up('a'), up('b')],
  ],
  [
    [up('a'), up('b')],
    [down('a', 'local-unreachable'), up('b', 'peer-unreachable')],
    [down('a', 'awaiting-recover'), up('b')],
    [up('a'), up('b')],
  ],
];

/** The tables the demo printed, by step (1-based): a header line starts each table. */
function tablesByStep(lines: readonly string[]): Row[][][] {
  const steps: Row[][][] = [];
  for (const line of lines) {
    const step = /^Step (\d+) of \d+: /.exec(line);
    if (step) {
      steps[Number(step[1]) - 1] = [];
      continue;
    }
    const current = steps[steps.length - 1];
    if (current === undefined) continue;
    if (/^ {4}node {2}SNMP {2}HTTP {2}reason +agent$/.test(line)) {
      current.push([]);
      continue;
    }
    const m = /^ {4}([ab]) +(\S+) +(\S+) +(\S+) {2,}(\S.*)$/.exec(line);
    if (m) current[current.length - 1]?.push({ node: m[1]!, snmp: m[2]!, http: m[3]!, reason: m[4]!, agent: m[5]! });
  }
  return steps;
}

function assertStory(lines: readonly string[]): void {
  const transcript = lines.join('\n');
  const steps = tablesByStep(lines);
  assert.equal(steps.length, STORY.length, `steps shown:\n${transcript}`);
  STORY.forEach((tables, s) => {
    const shown = steps[s] ?? [];
    assert.equal(shown.length, tables.length, `step ${s + 1}: tables shown:\n${transcript}`);
    tables.forEach((wanted, t) => {
      const rows = shown[t] ?? [];
      assert.equal(rows.length, 2, `step ${s + 1} table ${t + 1}: rows:\n${transcript}`);
      wanted.forEach((w, i) => {
        const r = rows[i];
        const where = `step ${s + 1} table ${t + 1} node ${w.node}: ${JSON.stringify(r)}`;
        assert.ok(r !== undefined, where);
        assert.deepEqual([r.node, r.snmp, r.http, r.agent], [w.node, w.snmp, w.http, w.agent], where);
        assert.ok(w.reasons.includes(r.reason), `${where}: reason not one of ${w.reasons.join(', ')}`);
      });
    });
  });
}

interface Run {
  parent: string;
  cache: string;
  proc: WatchedProcess;
}

/** Starts the demo as a person would from the project's directory, with its own TMPDIR and cache. */
function startDemo(args: readonly string[], dirs?: { parent: string; cache: string }): Run {
  const parent = dirs?.parent ?? makeTempDir('walk-');
  const cache = dirs?.cache ?? makeTempDir('cache-');
  const proc = startWatched(binPath('mysql-failover-check'), ['demo', ...args], {
    label: 'demo',
    cwd: REPO_ROOT,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root', TMPDIR: parent, XDG_CACHE_HOME: cache },
  });
  return { parent, cache, proc };
}

async function finished(run: Run): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return withTimeout(run.proc.exited, WALK_BOUND_MS, 'the demo');
}

function demoDir(lines: readonly string[]): string {
  const dir = lines.map((l) => /^ {2}working directory (\S+)$/.exec(l)?.[1]).find((d) => d !== undefined);
  assert.ok(dir !== undefined, `no working directory line:\n${lines.join('\n')}`);
  return dir;
}

const pointerFile = (cache: string): string => path.join(cache, 'mysql-failover-check', 'demo.json');

describe('mysql-failover-check demo', () => {
  test('the whole walk: exit 0, every step shows the answers of the story, nothing left afterwards', async (t) => {
    const run = startDemo([]);
    const end = await finished(run);
    const transcript = run.proc.lines.join('\n');
    assert.deepEqual(end, { code: 0, signal: null }, `${transcript}\n${run.proc.stderr()}`);
    assert.equal(run.proc.stderr(), '');
    assertStory(run.proc.lines);
    assert.ok(!run.proc.lines.some((l) => l.startsWith('  !!')), transcript);
    assert.ok(
      run.proc.lines.some((l) => /^ {9}recovered: failed -> up by \S+ at /.test(l)),
      `the real recover's output is shown:\n${transcript}`,
    );
    const took = run.proc.lines.find((l) => l.startsWith('The walk took '));
    assert.ok(took !== undefined, transcript);
    t.diagnostic(took);
    assert.equal(run.proc.lines.at(-1), 'Done: nothing of the demo is left.');
    assert.match(demoDir(run.proc.lines), new RegExp(`^${run.parent}/mfc-demo-[A-Za-z0-9]{6}$`));
    assertNothingLeft(run.parent);
    assert.ok(!fs.existsSync(pointerFile(run.cache)), 'no pointer file without --keep');
  });

  test('--keep leaves a working pair and says how to use it; --stop then leaves nothing', async () => {
    const run = startDemo(['--keep']);
    const end = await finished(run);
    const transcript = run.proc.lines.join('\n');
    assert.deepEqual(end, { code: 0, signal: null }, `${transcript}\n${run.proc.stderr()}`);
    const dir = demoDir(run.proc.lines);
    const kept = JSON.parse(fs.readFileSync(path.join(dir, 'kept.json'), 'utf8')) as { nodes: Record<string, { pid: number }> };
    for (const n of Object.values(kept.nodes)) registerPid(n.pid, 'kept-demo-server');
    assert.equal(Object.keys(kept.nodes).length, 2);
    assert.ok(processesNaming(dir).length >= 2, 'both servers outlive the demo');
    assert.ok(run.proc.lines.includes(`The pair keeps running, in ${dir}:`), transcript);
    assert.ok(run.proc.lines.includes('  ./bin/mysql-failover-check demo --stop'), transcript);
    assert.ok(run.proc.lines.includes(`  ./bin/mysql-failover-snmp --defaults-file=${dir}/node-a.cnf`), transcript);
    assert.ok(!transcript.includes(monitorPassword(dir)), 'the monitor password is not printed');
    assert.ok(fs.existsSync(pointerFile(run.cache)));

    // The printed commands work: node b answers, as an operator would ask it.
    const status = await runBin('mysql-failover-check', ['status', `--defaults-file=${dir}/node-b.cnf`]);
    assert.equal(status.code, 0, status.stdout + status.stderr);
    assert.match(status.stdout, /^verdict +UP /m);
    const snmp = await runBin('mysql-failover-snmp', [`--defaults-file=${dir}/node-a.cnf`]);
    assert.equal(snmp.stdout, '100\n');

    // A second --keep refuses while this pair runs, and starts nothing.
    const second = startDemo(['--keep'], { parent: makeTempDir('walk2-'), cache: run.cache });
    assert.deepEqual(await finished(second), { code: 2, signal: null });
    assert.match(second.proc.stderr(), /a kept demo pair runs in .*; stop it first: mysql-failover-check demo --stop/);
    assertNothingLeft(second.parent);

    const stop = startDemo(['--stop'], { parent: makeTempDir('stop-'), cache: run.cache });
    assert.deepEqual(await finished(stop), { code: 0, signal: null }, stop.proc.stderr());
    assert.match(stop.proc.lines.join('\n'), new RegExp(`^stopped the kept demo pair \\(mariadbd \\d+, \\d+\\) and removed ${dir}$`, 'm'));
    assertNothingLeft(run.parent);
    assert.ok(!fs.existsSync(pointerFile(run.cache)), 'the pointer file is gone');
  });

  test('SIGINT in the middle of the walk: exit 130 after stopping both servers and removing the directory', async () => {
    const run = startDemo([]);
    await run.proc.waitLine(/^Step 3 of 6: /, WALK_BOUND_MS);
    const dir = demoDir(run.proc.lines);
    assert.ok(processesNaming(dir).length >= 1, 'a server runs when the signal is sent');
    run.proc.child.kill('SIGINT');
    const end = await withTimeout(run.proc.exited, 30_000, 'the interrupted demo');
    assert.deepEqual(end, { code: 130, signal: null }, run.proc.stderr());
    assert.match(run.proc.stderr(), new RegExp(`interrupted; both servers stopped and ${dir} removed`));
    assertNothingLeft(run.parent);
  });
});

/** The monitor password from a kept pair's option file (to check it was never printed). */
function monitorPassword(dir: string): string {
  const m = /^password=(.+)$/m.exec(fs.readFileSync(path.join(dir, 'node-a.cnf'), 'utf8'));
  assert.ok(m !== undefined && m !== null);
  return m[1]!.replace(/^'|'$/g, '');
}
