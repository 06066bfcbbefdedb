/**
 * Acting on transitions (docs/acting-on-transitions.md) on the real pair,
 * through the executables as their clients run them: `serve` probed over
 * HTTP and the agent protocol, with and without its --interval watcher, and
 * the single-shot executables as snmpd and xinetd start them.
 *
 * - once per change: 100 probes around one transition run the hook once;
 *   a restart of serve in the same state runs none;
 * - a restart keeps a failed node failed (the state file);
 * - hooks never block: a hook that sleeps 60 s delays no answer, of serve or
 *   of the single-shot executables, and is killed at --hook-timeout;
 * - argument safety: a node name with `;` and `$(...)` arrives as one
 *   argument and no shell runs it;
 * - the watcher: with no load balancer probing, serve --interval still moves
 *   the state and fires the hook, and never stamps;
 * - the example hook: a read-only survivor whose peer is stopped for longer
 *   than --down-after ends writable, with one log line saying so.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Pair, quoteOptionValue } from '../support/pair';
import { createKeyedHeartbeat, keyedStamp, nodeOptionFile } from '../support/lb-setup';
import { makeTempDir } from '../support/run-dir';
import { ask } from '../support/exchange';
import { runBin } from '../support/run-bin';
import {
  hideHeartbeat,
  httpGet,
  lines,
  recordingHook,
  restartServed,
  runEvents,
  showHeartbeat,
  startServed,
  type ServedNode,
} from '../support/served-node';
import { until } from '../support/until';

const HOOK_PASSWORD = 'ro-off#pw 1';

let pair: Pair;
let dir: string;
let seq = 0;
const running: ServedNode[] = [];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function unique(prefix: string): string {
  return `${prefix}${++seq}`;
}

async function served(extra: Record<string, string>, args: string[] = []): Promise<ServedNode> {
  const name = unique('serve');
  const s = await startServed(pair, 'a', dir, name, { 'state-file': path.join(dir, `${name}.state`), timeout: '2', ...extra }, args);
  running.push(s);
  return s;
}

/** The hook-run lines of a log (one per run, docs/acting-on-transitions.md). */
function hookLines(log: string, event?: string): string[] {
  return lines(log).filter((l) => / hook=/.test(l) && (event === undefined || l.includes(` event=${event} `)));
}

describe('acting on transitions, on a real pair', () => {
  before(async () => {
    pair = await Pair.start({ name: 'acting' });
    dir = makeTempDir('acting-');
    await createKeyedHeartbeat(pair);
  });
  after(async () => {
    for (const s of running) s.proc.kill();
    await pair?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    for (const s of running.splice(0)) await s.proc.stop().catch(() => s.proc.kill());
    await pair.restore();
    await showHeartbeat(pair);
    await pair.sql('a', 'SET GLOBAL read_only = OFF');
  });

  test('once per change: 100 probes around one transition run the down hook once; a restart in the same state runs none', async () => {
    const hook = recordingHook(dir, unique('record'));
    const s = await served({ 'on-event': hook.path }, ['--cache=0']);
    const answers: number[] = [];
    for (let i = 0; i < 100; i++) {
      if (i === 30) await hideHeartbeat(pair);
      answers.push((await httpGet(s.http)).status);
    }
    assert.deepEqual([answers[0], answers[99]], [200, 503]);
    await until('the down hook ran', async () => hookLines(s.log, 'down').length === 1);
    await sleep(500);
    assert.deepEqual(runEvents(hook.runs()), ['down'], 'one run, of the down event');
    assert.match(hook.runs()[0] ?? '', /^5\|down\|[^|]+\|up\|down\|heartbeat-missing\|probe$/);

    const stopped = await s.proc.stop();
    assert.equal(stopped.code, 0);
    const again = await restartServed(s);
    running.push(again);
    for (let i = 0; i < 20; i++) assert.equal((await httpGet(again.http)).status, 503);
    await sleep(1_000);
    assert.deepEqual(runEvents(hook.runs()), ['down'], 'the restart into the same state ran nothing');
    assert.equal(hookLines(s.log).length, 1);
  });

  test('a restart of serve keeps a failed node failed', async () => {
    const s = await served({ failback: 'manual' }, ['--cache=0']);
    assert.equal((await httpGet(s.http)).body, 'UP fresh\n');
    await hideHeartbeat(pair);
    assert.equal((await httpGet(s.http)).status, 503);
    await showHeartbeat(pair);
    await s.proc.stop();
    const again = await restartServed(s);
    running.push(again);
    const r = await httpGet(again.http);
    assert.equal(r.status, 503);
    assert.equal(r.body, 'DOWN awaiting-recover\n');
    assert.equal((await ask(again.agent, '')).text, 'down ready #awaiting-recover\n');
  });

  test('a hook that sleeps 60 s delays no answer of serve; it is killed at --hook-timeout and the log says so', async () => {
    const hook = recordingHook(dir, unique('sleeper'), 60);
    const s = await served({ 'on-event': hook.path, 'hook-timeout': '2' }, ['--cache=0']);
    assert.equal((await httpGet(s.http)).status, 200);
    await hideHeartbeat(pair);
    const started = Date.now();
    // Probes while the hook sleeps: each one answered within --timeout (2 s) of its own start.
    while (Date.now() - started < 3_000) {
      const r = await httpGet(s.http);
      assert.equal(r.status, 503);
      assert.ok(r.ms < 2_000, `an HTTP answer took ${r.ms} ms`);
      const a = await ask(s.agent, '');
      assert.equal(a.text, 'down ready #heartbeat-missing\n');
      assert.ok(a.ms < 2_000, `an agent answer took ${a.ms} ms`);
    }
    assert.deepEqual(runEvents(hook.runs()), ['down'], 'the hook started');
    await until('the hook was stopped at its timeout', async () => hookLines(s.log, 'down').length === 1, 15_000);
    const line = hookLines(s.log, 'down')[0] ?? '';
    assert.match(line, / exit= signal=SIGTERM timed_out=true /);
    const ms = Number(/ duration_ms=(\d+)/.exec(line)?.[1]);
    assert.ok(ms >= 2_000 && ms < 10_000, line);
    const metrics = await httpGet(s.http, '/metrics');
    assert.match(metrics.body, /^mysql_failover_hook_runs_total\{status="timeout"\} 1$/m);
  });

  test('single shot: a hook that sleeps 60 s delays no answer of mysql-failover-snmp, -http or -agent; each is killed at --hook-timeout', async () => {
    const hook = recordingHook(dir, unique('sleeper'), 60);
    const runs = [
      { name: 'mysql-failover-snmp', input: '', up: '100\n', down: '200\n' },
      { name: 'mysql-failover-http', input: 'GET / HTTP/1.0\r\n\r\n', up: 'HTTP/1.1 200', down: 'HTTP/1.1 503' },
      { name: 'mysql-failover-agent', input: '', up: 'up ready\n', down: 'down ready #heartbeat-missing\n' },
    ];
    const files = runs.map((r) => {
      const log = path.join(dir, `${unique(r.name)}.log`);
      const file = nodeOptionFile(pair, 'a', dir, unique('single'), {
        timeout: '2',
        'state-file': path.join(dir, `${unique('single')}.state`),
        'on-event': hook.path,
        'hook-timeout': '2',
        'log-file': log,
      });
      return { ...r, file, log };
    });
    for (const r of files) {
      const up = await runBin(r.name, [`--defaults-file=${r.file}`], { input: r.input });
      assert.ok(up.stdout.startsWith(r.up), `${r.name}: ${up.stdout}`);
    }
    await hideHeartbeat(pair);
    for (const r of files) {
      const down = await runBin(r.name, [`--defaults-file=${r.file}`], { input: r.input });
      assert.ok(down.stdout.startsWith(r.down), `${r.name}: ${down.stdout}`);
      // Node's start-up included: the executable answered and exited within its deadline, the hook still asleep.
      assert.ok(down.elapsedMs < 2_000 + 1_000, `${r.name} took ${down.elapsedMs} ms`);
      assert.equal(down.stderr, '');
    }
    await until('three hooks started', async () => hook.runs().length === 3, 10_000);
    for (const r of files) {
      await until(`${r.name}'s hook stopped at its timeout`, async () => hookLines(r.log, 'down').length === 1, 15_000);
      assert.match(hookLines(r.log, 'down')[0] ?? '', / timed_out=true /);
    }
  });

  test('single shot: mysql-failover-snmp fires the hook once across 10 probes while the local server is down, each within its deadline', async () => {
    const hook = recordingHook(dir, unique('record'));
    const log = path.join(dir, `${unique('snmp')}.log`);
    const file = nodeOptionFile(pair, 'a', dir, unique('snmp'), {
      timeout: '2',
      'state-file': path.join(dir, `${unique('snmp')}.state`),
      'on-event': hook.path,
      'log-file': log,
    });
    assert.equal((await runBin('mysql-failover-snmp', [`--defaults-file=${file}`])).stdout, '100\n');
    await pair.stop('a');
    for (let i = 0; i < 10; i++) {
      const r = await runBin('mysql-failover-snmp', [`--defaults-file=${file}`]);
      assert.equal(r.stdout, '200\n');
      assert.ok(r.elapsedMs < 3_000, `probe ${i} took ${r.elapsedMs} ms`);
    }
    await until('the hook ran', async () => hookLines(log, 'down').length >= 1, 10_000);
    await sleep(1_000);
    assert.deepEqual(runEvents(hook.runs()), ['down']);
    assert.match(hook.runs()[0] ?? '', /\|up\|down\|local-unreachable\|probe$/);
  });

  test('a node name with ; and $(...) reaches the hook as one argument, and no shell runs it', async () => {
    const hook = recordingHook(dir, unique('record'));
    const canary = '/mfc-canary';
    fs.rmSync(canary, { force: true });
    const node = 'n1;$(touch${IFS}/mfc-canary)`id`';
    const s = await served({ node, 'on-event': hook.path }, ['--cache=0']);
    assert.equal((await httpGet(s.http)).status, 200);
    await hideHeartbeat(pair);
    assert.equal((await httpGet(s.http)).status, 503);
    await until('the hook ran', async () => hook.runs().length === 1, 10_000);
    assert.equal(hook.runs()[0], `5|down|${node}|up|down|heartbeat-missing|probe`);
    assert.equal(fs.existsSync(canary), false, 'nothing evaluated the name');
  });

  test('the watcher: with no probe at all, serve --interval moves the state, fires the hook as `watcher`, and never stamps', async () => {
    const hook = recordingHook(dir, unique('record'));
    await pair.sql('a', "REPLACE INTO mysql_failover.heartbeat (node, lastcheck) VALUES ('watched', UNIX_TIMESTAMP() - 5)");
    const stamp = await keyedStamp(pair, 'a', 'watched');
    assert.ok(stamp !== undefined);
    const s = await served({ node: 'watched', 'on-event': hook.path, 'down-after': '2' }, ['--interval=0.5']);
    await until('the first evaluation', async () => lines(s.log).some((l) => l.includes(' transition=none->up ')), 10_000);
    await hideHeartbeat(pair);
    await until('the watcher saw the node go down', async () => hook.runs().length === 1, 15_000);
    assert.match(hook.runs()[0] ?? '', /^5\|down\|watched\|failing\|down\|heartbeat-missing\|watcher$/);
    const transitions = lines(s.log)
      .map((l) => / transition=(\S+) .*actor=(\w+)/.exec(l))
      .filter((m) => m !== null)
      .map((m) => `${m[1]} ${m[2]}`);
    assert.deepEqual(transitions, ['none->up watcher', 'up->failing watcher', 'failing->down watcher']);
    await showHeartbeat(pair);
    await until('and back up', async () => runEvents(hook.runs()).includes('up'), 15_000);
    assert.equal(await keyedStamp(pair, 'a', 'watched'), stamp, 'the watcher never stamped');
  });

  test('the example hook: a read-only survivor whose peer is stopped longer than --down-after ends writable, one log line says so', async () => {
    await pair.withConnection('a', async (conn) => {
      await conn.query('SET SESSION sql_log_bin = 0');
      await conn.query("CREATE USER IF NOT EXISTS 'failover_hook'@'localhost' IDENTIFIED BY ?", [HOOK_PASSWORD]);
      await conn.query("GRANT READ_ONLY ADMIN ON *.* TO 'failover_hook'@'localhost'");
    });
    const cnf = path.join(dir, 'failover-hook.cnf');
    fs.writeFileSync(
      cnf,
      [
        '[client_failover_hook]',
        'user=failover_hook',
        `password=${quoteOptionValue(HOOK_PASSWORD)}`,
        `socket=${quoteOptionValue(pair.a.socket)}`,
      ].join('\n') + '\n',
      { mode: 0o600 },
    );
    const wrapper = path.join(dir, 'read-only-off');
    const shipped = path.resolve(__dirname, '..', '..', '..', 'hooks', 'read-only-off');
    fs.writeFileSync(wrapper, `#!/bin/sh\nFAILOVER_HOOK_DEFAULTS_FILE='${cnf}' exec '${shipped}' "$@"\n`, { mode: 0o755 });

    await pair.sql('a', 'SET GLOBAL read_only = ON');
    const s = await served({ node: 'survivor', 'on-event': wrapper, 'down-after': '2' }, ['--interval=1']);
    await pair.stop('b');
    await until(
      'read_only turned OFF on the survivor',
      async () => Number((await pair.sql('a', 'SELECT @@GLOBAL.read_only AS ro'))[0]?.ro) === 0,
      20_000,
    );
    await until('the survivor answers UP as the last node', async () => (await httpGet(s.http)).body === 'UP peer-unreachable\n', 10_000);
    const said = lines(s.log).filter((l) => l.includes('read_only turned OFF'));
    assert.equal(said.length, 1, lines(s.log).join('\n'));
    assert.match(
      said[0] ?? '',
      / event=peer-lost exit=0 .*output="read-only-off: read_only turned OFF on survivor \(peer lost: peer-unreachable\)"/,
    );
  });
});
