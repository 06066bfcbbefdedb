/**
 * serve pushing this node's state into a real HAProxy (Debian's) over its
 * runtime API, with the real pair behind it (docs/acting-on-transitions.md,
 * "Pushing the state into HAProxy"):
 * - at start, a server set to maint by hand is reconciled to this node's
 *   answer; a second start finds it right and sends no `set server`;
 * - stopping the local server turns the server MAINT in `show servers state`
 *   within --interval + 1 s, and ready again after recovery;
 * - a reload with a server-state file keeps the pushed state;
 * - a socket that is missing or only at user level is logged and retried at
 *   each tick, and the answers do not change; a socket that appears later is
 *   reconciled at the next tick, and the retries stop.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Pair } from '../support/pair';
import { HAProxy, RecordingSocket, runtimeApiConfig } from '../support/haproxy';
import { createKeyedHeartbeat } from '../support/lb-setup';
import { makeTempDir } from '../support/run-dir';
import { httpGet, lines, startServed, type ServedNode } from '../support/served-node';
import { until } from '../support/until';

let pair: Pair;
let haproxy: HAProxy;
let dir: string;
let userSocket: string;
let stateFile: string;
let seq = 0;
const running: ServedNode[] = [];

/** srv_admin_state of backend mysql's server, read from HAProxy's own `show servers state` by column name. */
async function adminState(server: string): Promise<'MAINT' | 'DRAIN' | 'READY'> {
  const text = await haproxy.command('show servers state mysql');
  const rows = text.split('\n');
  const names = (rows.find((l) => l.startsWith('# ')) ?? '').slice(2).trim().split(/\s+/);
  const row = rows.find((l) => !l.startsWith('#') && l.trim().split(/\s+/)[names.indexOf('srv_name')] === server);
  assert.ok(row, `no server ${server} in ${text}`);
  const mask = Number(row.trim().split(/\s+/)[names.indexOf('srv_admin_state')]);
  if ((mask & 0x01) !== 0) return 'MAINT';
  if ((mask & 0x08) !== 0) return 'DRAIN';
  return 'READY';
}

function pushLines(s: ServedNode): string[] {
  return lines(s.log).filter((l) => / haproxy=/.test(l));
}

async function served(args: string[], interval = '1'): Promise<ServedNode> {
  const name = `push${++seq}`;
  const s = await startServed(pair, 'a', dir, name, { 'state-file': path.join(dir, `${name}.state`), timeout: '2' }, [
    `--interval=${interval}`,
    ...args,
  ]);
  running.push(s);
  return s;
}

before(async () => {
  pair = await Pair.start({ name: 'hpush' });
  await createKeyedHeartbeat(pair);
  haproxy = await HAProxy.start((stats) => {
    const { config, files } = runtimeApiConfig(stats, [`a 127.0.0.1:${pair.a.port}`, `b 127.0.0.1:${pair.b.port}`]);
    ({ userSocket, stateFile } = files);
    return config;
  });
  dir = makeTempDir('hpush-');
});

after(async () => {
  for (const s of running) s.proc.kill();
  await haproxy?.stop();
  await pair?.destroy();
});

beforeEach(async () => {
  for (const s of running.splice(0)) await s.proc.stop().catch(() => s.proc.kill());
  await pair.restore();
  await haproxy.command('set server mysql/a state ready');
});

describe('serve pushing its state into HAProxy', () => {
  test('at start it reconciles a server set to maint by hand to its answer; started again, it finds it right and sends nothing', async () => {
    await haproxy.command('set server mysql/a state maint');
    assert.equal(await adminState('a'), 'MAINT');
    const first = await served([`--haproxy-socket=${haproxy.statsSocket}`, '--haproxy-server=mysql/a']);
    await until('HAProxy says ready', async () => (await adminState('a')) === 'READY', 10_000);
    await until('the push is logged', async () => pushLines(first).length >= 1, 5_000);
    assert.match(pushLines(first)[0] ?? '', / server="mysql\/a" state="ready" changed=true was=maint duration_ms=\d+$/);
    await first.proc.stop();

    const recording = await RecordingSocket.start(haproxy.statsSocket, path.join(dir, `rec${++seq}.sock`));
    try {
      const second = await served([`--haproxy-socket=${recording.path}`, '--haproxy-server=mysql/a']);
      await until('the start-up push is logged', async () => pushLines(second).length >= 1, 10_000);
      assert.match(pushLines(second)[0] ?? '', / state="ready" changed=false was=ready /);
      await new Promise((r) => setTimeout(r, 2_500)); // two more ticks
      assert.deepEqual(recording.commands, ['show servers state mysql'], 'read once, nothing set, nothing retried');
    } finally {
      await recording.close();
    }
  });

  test('the local server stopped: MAINT within --interval + 1 s; recovered: ready again; a reload with the state file keeps MAINT', async () => {
    const s = await served([`--haproxy-socket=${haproxy.statsSocket}`, '--haproxy-server=mysql/a']);
    await until('reconciled at start', async () => pushLines(s).length >= 1, 10_000);
    assert.equal(await adminState('a'), 'READY');
    await pair.stop('a');
    const stoppedAt = Date.now();
    await until('MAINT', async () => (await adminState('a')) === 'MAINT', 10_000);
    const took = Date.now() - stoppedAt;
    assert.ok(took <= 1_000 + 1_000, `MAINT ${took} ms after the server stopped, for --interval 1`);
    assert.ok(
      pushLines(s).some((l) => / state="maint" changed=true was=ready /.test(l)),
      pushLines(s).join('\n'),
    );

    // As docs/acting-on-transitions.md says: dump the states into the file, then reload.
    fs.writeFileSync(stateFile, await haproxy.command('show servers state'));
    await haproxy.reload();
    assert.equal(await adminState('a'), 'MAINT', 'the pushed state survived the reload');

    await pair.startNode('a');
    await pair.waitReplicationRunning('a');
    await until('ready again', async () => (await adminState('a')) === 'READY', 30_000);
    assert.equal((await httpGet(s.http)).status, 200);
  });

  test('a socket missing or at user level: logged and retried at each tick; the answers do not change', async () => {
    // maint by hand, so that reconciling to UP needs a `set server`, which a user-level socket refuses.
    await haproxy.command('set server mysql/a state maint');
    const missing = path.join(dir, 'missing.sock');
    const s = await served([`--haproxy-socket=${missing}`, `--haproxy-socket=${userSocket}`, '--haproxy-server=mysql/a']);
    await until(
      'both failures retried at least once',
      async () => {
        const l = pushLines(s);
        return (
          l.filter((x) => x.includes('error=HAPROXY_UNREACHABLE')).length >= 2 &&
          l.filter((x) => x.includes('error=HAPROXY_DENIED')).length >= 2
        );
      },
      10_000,
    );
    for (const l of pushLines(s)) assert.match(l, / error=HAPROXY_(UNREACHABLE|DENIED) detail="/);
    const r = await httpGet(s.http);
    assert.equal(r.status, 200);
    assert.match(r.body, /^UP /);
    assert.equal(s.proc.stderr, '');
    assert.equal(await adminState('a'), 'MAINT', 'nothing was set through the user-level socket');
  });

  test('a socket that appears later is reconciled at the next tick, and the retries stop', async () => {
    await haproxy.command('set server mysql/a state maint');
    const later = path.join(dir, `later${++seq}.sock`);
    const s = await served([`--haproxy-socket=${later}`, '--haproxy-server=mysql/a']);
    await until('the failure is logged', async () => pushLines(s).some((l) => l.includes('error=HAPROXY_UNREACHABLE')), 10_000);
    const recording = await RecordingSocket.start(haproxy.statsSocket, later);
    try {
      await until('ready through the new socket', async () => (await adminState('a')) === 'READY', 10_000);
      await new Promise((r) => setTimeout(r, 2_500));
      assert.deepEqual(recording.commands, ['show servers state mysql', 'set server mysql/a state ready'], 'one reconciliation, no more');
    } finally {
      await recording.close();
    }
  });
});
