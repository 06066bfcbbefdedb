/**
 * The demo's throwaway pair (src/demo/local-pair.ts) with real processes:
 * it replicates both ways and the real executables work with its option
 * files; the password stays in those files; a node can be stopped, killed,
 * frozen and restarted; the slow write gives real lag; and nothing is left
 * behind, whether the pair is destroyed, its process is interrupted (SIGINT,
 * SIGTERM, SIGHUP), crashes or just ends, and after keep + stopKept.
 *
 * "Left behind" is judged independently of the module's own /proc code:
 * pgrep -f for any process whose command line names the directory, and the
 * directory's contents.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startLocalPair, type LocalPair } from '../../src/demo/local-pair';
import { findKept, stopKept, type KeptState } from '../../src/demo/kept-pair';
import { DEMO_DATABASE, DEMO_TABLE } from '../../src/demo/slow-write';
import { connect } from '../../src/io/mysql';
import { Deadline } from '../../src/core/deadline';
import { isCheckError } from '../../src/core/errors';
import { parseOptionFileText } from '../../src/config/option-file-parser';
import { makeTempDir, registerPid } from '../support/run-dir';
import { runBin } from '../support/run-bin';
import { until } from '../support/until';
import { assertNothingLeft, processesNaming, startWatched, withTimeout, type WatchedProcess } from '../support/watched-process';

const DRIVER = path.join(__dirname, 'demo-pair-driver.js');
const WRITES = `\`${DEMO_DATABASE}\`.\`${DEMO_TABLE}\``;

function startDriver(args: string[]): WatchedProcess {
  return startWatched(process.execPath, [DRIVER, ...args], { label: 'demo-pair-driver' });
}

/** Every file under `dir` whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const bytes = Buffer.from(needle, 'utf8');
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && fs.readFileSync(p).includes(bytes)) hits.push(p);
    }
  };
  walk(dir);
  return hits.sort();
}

function monitorPasswordIn(optionFile: string): string {
  const items = parseOptionFileText(fs.readFileSync(optionFile, 'utf8'), optionFile);
  for (const item of items) {
    if (item.kind === 'option' && item.group === 'client' && item.name === 'password' && item.value !== null) return item.value;
  }
  throw new Error(`no password in ${optionFile}`);
}

describe('demo local pair: start and drive', () => {
  let pair: LocalPair;
  let parentDir: string;
  const steps: string[] = [];

  before(async () => {
    parentDir = makeTempDir('demo-');
    pair = await startLocalPair({ parentDir, onStep: (t) => steps.push(t) });
    process.stdout.write(`demo pair started in ${pair.startupMs} ms:\n${steps.map((s) => `  ${s}`).join('\n')}\n`);
  });
  after(() => pair?.destroy());

  test('the directory is private and holds both nodes', () => {
    assert.equal(path.dirname(pair.dir), parentDir);
    assert.match(path.basename(pair.dir), /^mfc-demo-[A-Za-z0-9]{6}$/);
    assert.equal(fs.statSync(pair.dir).mode & 0o777, 0o700);
    for (const n of ['a', 'b'] as const) {
      assert.ok(pair.isRunning(n));
      assert.ok(pair.node(n).datadir.startsWith(pair.dir + path.sep));
      assert.notEqual(pair.node(n).port, 3306);
    }
    assert.notEqual(pair.node('a').port, pair.node('b').port);
  });

  test('both nodes replicate both ways', async () => {
    await pair.sql('a', `INSERT INTO ${WRITES} (written_on, note) VALUES ('a', 'from a')`);
    await pair.sql('b', `INSERT INTO ${WRITES} (written_on, note) VALUES ('b', 'from b')`);
    await pair.waitCaughtUp('a');
    await pair.waitCaughtUp('b');
    for (const n of ['a', 'b'] as const) {
      const rows = await pair.sql(n, `SELECT note FROM ${WRITES} ORDER BY note`);
      assert.deepEqual(
        rows.map((r) => r['note']),
        ['from a', 'from b'],
        `node ${n}`,
      );
      const st = await pair.replicaState(n);
      assert.equal(st?.ioRunning, 'Yes');
      assert.equal(st?.sqlRunning, 'Yes');
    }
    const [ids] = await pair.sql('a', 'SELECT @@server_id AS a_id');
    const [idsB] = await pair.sql('b', 'SELECT @@server_id AS b_id');
    assert.deepEqual([Number(ids?.['a_id']), Number(idsB?.['b_id'])], [1, 2]);
  });

  test('the option files work with the real executables: status answers UP on both nodes', async () => {
    for (const n of ['a', 'b'] as const) {
      const r = await runBin('mysql-failover-check', ['status', '--json', `--defaults-file=${pair.node(n).optionFile}`]);
      assert.equal(r.code, 0, `node ${n}: ${r.stdout}${r.stderr}`);
      const json = JSON.parse(r.stdout) as { verdict: string };
      assert.equal(json.verdict, 'UP', r.stdout);
    }
    // Like a load balancer's probe: stamps the heartbeat created by setup and writes --log-file.
    const stamped = await runBin('mysql-failover-check', ['status', '--stamp', `--defaults-file=${pair.node('a').optionFile}`]);
    assert.equal(stamped.code, 0, stamped.stdout + stamped.stderr);
    assert.match(stamped.stdout, /^heartbeat stamped/m);
    assert.ok(fs.existsSync(pair.node('a').logFile), 'log-file from the option file was written');
    const rows = await pair.sql('a', `SELECT COUNT(*) AS n FROM ${pair.heartbeatTable}`);
    assert.equal(Number(rows[0]?.['n']), 1);
  });

  test('the monitor password appears only in the two 0600 option files', async () => {
    const password = monitorPasswordIn(pair.node('a').optionFile);
    assert.ok(password.length >= 20);
    // Everything the servers and the executables wrote so far, binary logs and relay logs included.
    await runBin('mysql-failover-check', ['status', '--stamp', `--defaults-file=${pair.node('b').optionFile}`]);
    assert.deepEqual(filesContaining(pair.dir, password), [pair.node('a').optionFile, pair.node('b').optionFile]);
    for (const n of ['a', 'b'] as const) assert.equal(fs.statSync(pair.node(n).optionFile).mode & 0o777, 0o600);
    assert.ok(!steps.some((s) => s.includes(password)), 'a progress step shows the password');
  });

  test('freeze makes a node answer nothing; thaw brings it back', async () => {
    pair.freeze('b');
    try {
      const pid = pair.pid('b');
      // SIGSTOP reaches a many-threaded process a moment after kill() returns: the kernel shows
      // the state once every thread has stopped.
      await until(`pid ${pid} in state T`, async () => /\) T /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')), 5_000);
      await assert.rejects(
        connect({ socket: pair.node('b').socket, user: pair.adminUser }, Deadline.in(1000), 'frozen b'),
        (e: unknown) => isCheckError(e) && e.code === 'TIMEOUT',
      );
      await assert.rejects(pair.sql('b', 'SELECT 1'), /frozen/);
    } finally {
      pair.thaw('b');
    }
    assert.deepEqual(await pair.sql('b', 'SELECT 1 AS one'), [{ one: 1 }]);
  });

  test('kill, then start: the node returns with its data and replicates again', async () => {
    const oldPid = pair.pid('a');
    await pair.kill('a');
    assert.equal(pair.isRunning('a'), false);
    assert.deepEqual(processesNaming(`--datadir=${pair.node('a').datadir}`), [], `pid ${oldPid} survived`);
    await assert.rejects(pair.sql('a', 'SELECT 1'), /not running/);
    await pair.sql('b', `INSERT INTO ${WRITES} (written_on, note) VALUES ('b', 'while a was dead')`);
    await pair.start('a');
    assert.notEqual(pair.pid('a'), oldPid);
    await pair.waitReplicationRunning('a');
    await pair.waitCaughtUp('a');
    const rows = await pair.sql('a', `SELECT note FROM ${WRITES} WHERE note = 'while a was dead'`);
    assert.equal(rows.length, 1);
  });

  test('stop is a clean shutdown', async () => {
    assert.equal(await pair.stop('b'), 'stopped');
    assert.equal(pair.isRunning('b'), false);
    assert.match(fs.readFileSync(pair.node('b').errorLog, 'utf8'), /Shutdown complete/);
    assert.equal(await pair.stop('b'), 'not-running');
    await pair.start('b');
    await pair.waitReplicationRunning('b');
  });

  test('slowWrite: the returning node lags (Seconds_Behind_Master > 1), then catches up', async () => {
    await pair.stop('b');
    const statement = await pair.slowWrite('b', 5);
    assert.match(statement, /SLEEP\(5\)/);
    await pair.start('b');
    let maxLag = -1;
    await until(
      'node b reports Seconds_Behind_Master > 1',
      async () => {
        maxLag = Math.max(maxLag, (await pair.replicationLag('b')) ?? -1);
        return maxLag > 1;
      },
      20_000,
    );
    await pair.waitCaughtUp('b');
    await until('node b reports lag 0', async () => (await pair.replicationLag('b')) === 0, 20_000);
    const rows = await pair.sql('b', `SELECT note FROM ${WRITES} WHERE note LIKE 'slow write%'`);
    assert.equal(rows.length, 1);
  });

  test('destroy stops both servers and removes the directory', async () => {
    const dir = pair.dir;
    assert.ok(processesNaming(dir).length >= 2, 'servers named the directory before destroy');
    await pair.destroy();
    assert.deepEqual(processesNaming(dir), []);
    assert.equal(fs.existsSync(dir), false);
    await pair.destroy();
    await assert.rejects(pair.start('a'), /destroyed/);
  });
});

describe('demo local pair: nothing survives the demo process', () => {
  const interrupt = async (signal: NodeJS.Signals, when: RegExp): Promise<void> => {
    const parentDir = makeTempDir('demo-sig-');
    const d = startDriver(['wait', parentDir]);
    await d.waitLine(when);
    // The step is announced just before its process is spawned: look until it shows. (Not just
    // parentDir: the driver's own command line names that.)
    const servers = `--datadir=${parentDir}/`;
    const end0 = Date.now() + 10_000;
    while (processesNaming(servers).length === 0 && Date.now() < end0) await new Promise((r) => setTimeout(r, 10));
    assert.ok(processesNaming(servers).length > 0, 'mariadb-install-db or mariadbd was running when the signal was sent');
    d.child.kill(signal);
    const end = await withTimeout(d.exited, 30_000, 'driver exit');
    assert.equal(end.signal, signal, `driver ended with ${JSON.stringify(end)}; stderr: ${d.stderr()}`);
    assertNothingLeft(parentDir);
  };

  test('SIGINT while mariadb-install-db runs', () => interrupt('SIGINT', /^step: initialising a data directory/));
  test('SIGINT while the servers start', () => interrupt('SIGINT', /^step: starting node a/));
  test('SIGINT mid-run', () => interrupt('SIGINT', /^ready /));
  test('SIGTERM mid-run', () => interrupt('SIGTERM', /^ready /));
  test('SIGHUP mid-run', () => interrupt('SIGHUP', /^ready /));

  test('an uncaught error', async () => {
    const parentDir = makeTempDir('demo-err-');
    const d = startDriver(['throw', parentDir]);
    const end = await withTimeout(d.exited, 60_000, 'driver exit');
    assert.equal(end.code, 1);
    assert.match(d.stderr(), /deliberate uncaught error/);
    assert.ok(d.lines.some((l) => l.startsWith('ready ')));
    assertNothingLeft(parentDir);
  });

  test('the process simply ends without destroy', async () => {
    const parentDir = makeTempDir('demo-end-');
    const d = startDriver(['end', parentDir]);
    const end = await withTimeout(d.exited, 60_000, 'driver exit');
    assert.deepEqual(end, { code: 0, signal: null }, d.stderr());
    assert.ok(d.lines.some((l) => l.startsWith('ready ')));
    assertNothingLeft(parentDir);
  });
});

describe('demo local pair: keep and stopKept', () => {
  let pointerDir: string;
  let pointer: string;

  before(() => {
    pointerDir = makeTempDir('demo-ptr-');
    pointer = path.join(pointerDir, 'cache', 'demo.json');
  });
  after(async () => {
    await stopKept(pointer).catch(() => undefined);
  });

  async function keepOne(parentDir: string): Promise<KeptState> {
    const d = startDriver(['keep', parentDir, pointer]);
    const line = await d.waitLine(/^kept /);
    const end = await withTimeout(d.exited, 30_000, 'driver exit');
    assert.deepEqual(end, { code: 0, signal: null }, d.stderr());
    const state = JSON.parse(line.slice('kept '.length)) as KeptState;
    for (const n of Object.values(state.nodes)) registerPid(n.pid, 'kept-demo-server');
    return state;
  }

  test('kept servers survive the process; the kept pair works; stopKept stops it and removes everything', async () => {
    const parentDir = makeTempDir('demo-keep-');
    const state = await keepOne(parentDir);
    const pids = Object.values(state.nodes).map((n) => n.pid);
    assert.equal(pids.length, 2);
    for (const pid of pids) assert.ok(fs.existsSync(`/proc/${pid}`), `kept server ${pid} is gone`);
    assert.deepEqual(JSON.parse(fs.readFileSync(pointer, 'utf8')), { dir: state.dir });
    assert.equal(fs.statSync(pointer).mode & 0o777, 0o600);
    assert.deepEqual(findKept(pointer)?.running.sort(), [...pids].sort());

    const a = state.nodes.a;
    assert.ok(a);
    const r = await runBin('mysql-failover-check', ['status', '--json', `--defaults-file=${a.optionFile}`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((JSON.parse(r.stdout) as { verdict: string }).verdict, 'UP');

    const result = await stopKept(pointer);
    assert.deepEqual(result, { status: 'stopped', pointerFile: pointer, dir: state.dir, pids });
    assert.equal(fs.existsSync(pointer), false);
    assertNothingLeft(parentDir);

    assert.deepEqual(await stopKept(pointer), { status: 'nothing-kept', pointerFile: pointer });
  });

  test('keep refuses while another kept pair runs, and the refused pair is torn down', async () => {
    const first = makeTempDir('demo-keep1-');
    const second = makeTempDir('demo-keep2-');
    const state = await keepOne(first);
    const d = startDriver(['keep', second, pointer]);
    const end = await withTimeout(d.exited, 60_000, 'second driver exit');
    assert.equal(end.code, 1);
    assert.match(d.stderr(), /another kept demo pair runs in /);
    assertNothingLeft(second);
    assert.deepEqual(JSON.parse(fs.readFileSync(pointer, 'utf8')), { dir: state.dir });
    assert.equal((await stopKept(pointer)).status, 'stopped');
    assertNothingLeft(first);
  });

  test('a stale pointer (servers gone, pid reused) is cleaned up without killing anything', async () => {
    const parentDir = makeTempDir('demo-stale-');
    const state = await keepOne(parentDir);
    for (const n of Object.values(state.nodes)) process.kill(n.pid, 'SIGKILL');
    await until('kept servers gone', async () => processesNaming(state.dir).length === 0, 10_000);
    // An unrelated process that now holds node a's pid slot, down to its start time.
    const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
    assert.ok(bystander.pid !== undefined);
    registerPid(bystander.pid, 'bystander');
    try {
      const stat = fs.readFileSync(`/proc/${bystander.pid}/stat`, 'utf8');
      const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      const file = path.join(state.dir, 'kept.json');
      const kept = JSON.parse(fs.readFileSync(file, 'utf8')) as KeptState;
      assert.ok(kept.nodes.a && startTime !== undefined);
      kept.nodes.a.pid = bystander.pid;
      kept.nodes.a.startTime = startTime;
      fs.writeFileSync(file, JSON.stringify(kept));

      assert.equal(findKept(pointer), undefined);
      assert.deepEqual(await stopKept(pointer), { status: 'stale', pointerFile: pointer, dir: state.dir });
      assert.equal(bystander.exitCode, null);
      assert.equal(bystander.signalCode, null);
      assert.ok(fs.existsSync(`/proc/${bystander.pid}`), 'the bystander was killed');
      assert.equal(fs.existsSync(pointer), false);
      assertNothingLeft(parentDir);
    } finally {
      bystander.kill('SIGKILL');
    }
  });

  test('a pointer to a directory that is gone is removed', async () => {
    fs.mkdirSync(path.dirname(pointer), { recursive: true });
    const dir = path.join(makeTempDir('demo-gone-'), 'mfc-demo-AbC123');
    fs.writeFileSync(pointer, JSON.stringify({ dir }));
    assert.deepEqual(await stopKept(pointer), { status: 'stale', pointerFile: pointer, dir });
    assert.equal(fs.existsSync(pointer), false);
  });

  test('a pointer to something that is not a demo directory is refused, and nothing is removed', async () => {
    fs.mkdirSync(path.dirname(pointer), { recursive: true });
    const notOurs = makeTempDir('demo-notours-');
    fs.writeFileSync(path.join(notOurs, 'precious'), 'keep me');
    const named = path.join(path.dirname(notOurs), 'mfc-demo-ZZZ999');
    fs.mkdirSync(named);
    fs.writeFileSync(path.join(named, 'precious'), 'keep me');
    for (const dir of [notOurs, named, '/etc', 'relative/mfc-demo-abcdef']) {
      fs.writeFileSync(pointer, JSON.stringify({ dir }));
      await assert.rejects(stopKept(pointer), (e: unknown) => isCheckError(e) && e.code === 'USAGE', dir);
      assert.ok(fs.existsSync(pointer));
    }
    assert.ok(fs.existsSync(path.join(notOurs, 'precious')));
    assert.ok(fs.existsSync(path.join(named, 'precious')), 'a demo-named directory without kept.json was removed');
    fs.rmSync(pointer);
  });
});
