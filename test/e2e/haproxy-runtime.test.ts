/**
 * The runtime API client against a real HAProxy (Debian's): states set
 * over the admin unix socket and the admin TCP socket read back with
 * HAProxy's own `show stat`; a reconcile that finds the state already right
 * sends nothing; a user-level socket, a missing socket, a refused port and
 * a listener that never answers give their error codes within the bound;
 * and a reload with a server-state file keeps what was pushed. Finally, the
 * detached hook job pushes a state on its own.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  getServerState,
  parseRuntimeAddress,
  reconcileServerState,
  runtimeCommand,
  setServerState,
  type AdminState,
  type RuntimeAddress,
  type ServerRef,
} from '../../src/io/haproxy-runtime';
import { startDetachedHooks } from '../../src/io/hook-job';
import { CheckError } from '../../src/core/errors';
import { HAProxy, RecordingSocket, runtimeApiConfig } from '../support/haproxy';
import { FaultListener, refusedPort } from '../support/fault-listener';
import { freePort, registerPid } from '../support/run-dir';
import { until } from '../support/until';

let haproxy: HAProxy;
let dir: string;
let admin: RuntimeAddress;
let user: RuntimeAddress;
let tcp: RuntimeAddress;
let stateFile: string;
let userSocket: string;
const TIMEOUT_MS = 5_000;
const S1: ServerRef = { backend: 'mysql', server: 's1' };
const S2: ServerRef = { backend: 'mysql', server: 's2' };
const DISABLED: ServerRef = { backend: 'mysql', server: 's3' };

before(async () => {
  const tcpPort = await freePort();
  haproxy = await HAProxy.start((stats) => {
    const { config, files } = runtimeApiConfig(stats, ['s1 127.0.0.1:1', 's2 127.0.0.1:1', 's3 127.0.0.1:1 disabled'], tcpPort);
    dir = path.dirname(stats);
    ({ userSocket, stateFile } = files);
    return config;
  });
  admin = parseRuntimeAddress(haproxy.statsSocket);
  user = parseRuntimeAddress(userSocket);
  tcp = parseRuntimeAddress(`127.0.0.1:${tcpPort}`);
});

after(() => haproxy?.stop());

beforeEach(async () => {
  for (const ref of [S1, S2]) await setServerState(admin, ref, 'ready', TIMEOUT_MS);
});

/** The server's status in HAProxy's own `show stat` (not through the code under test). */
async function statStatus(ref: ServerRef): Promise<string> {
  return (await haproxy.server(ref.backend, ref.server))['status'] ?? '';
}

/** What `show stat` says for each administrative state of a server without checks. */
const STAT_STATUS: Record<AdminState, string> = { ready: 'no check', drain: 'DRAIN', maint: 'MAINT' };

async function rejectsWith(p: Promise<unknown>, code: string): Promise<CheckError> {
  const e = await p.then(
    () => assert.fail(`resolved; expected ${code}`),
    (err: unknown) => err,
  );
  assert.ok(e instanceof CheckError, `not a CheckError: ${String(e)}`);
  assert.equal(e.code, code, e.message);
  return e;
}

describe('setting and reading states', () => {
  for (const [name, addr] of [
    ['the admin unix socket', () => admin],
    ['the admin TCP socket', () => tcp],
  ] as const) {
    test(`over ${name}: maint, drain and ready, each read back`, async () => {
      for (const state of ['maint', 'drain', 'ready'] as const) {
        await setServerState(addr(), S1, state, TIMEOUT_MS);
        assert.equal(await statStatus(S1), STAT_STATUS[state], `show stat after ${state}`);
        const read = await getServerState(addr(), S1, TIMEOUT_MS);
        assert.equal(read.admin, state);
      }
      assert.equal((await getServerState(addr(), S2, TIMEOUT_MS)).admin, 'ready', 'the other server is untouched');
    });
  }

  test('a server `disabled` in the configuration reads as maint, and as ready once set ready (its CMAINT bit stays)', async () => {
    const before = await getServerState(admin, DISABLED, TIMEOUT_MS);
    assert.equal(before.admin, 'maint');
    assert.equal(before.adminMask & 0x01, 0x01);
    await setServerState(admin, DISABLED, 'ready', TIMEOUT_MS);
    const after = await getServerState(admin, DISABLED, TIMEOUT_MS);
    assert.equal(after.admin, 'ready');
    assert.equal(after.adminMask, 0x04, 'only CMAINT is left');
    assert.equal(await statStatus(DISABLED), 'no check', 'and HAProxy does treat it as ready');
    await setServerState(admin, DISABLED, 'maint', TIMEOUT_MS);
  });

  test('an unknown server or backend is HAPROXY_NO_SUCH_SERVER', async () => {
    await rejectsWith(getServerState(admin, { backend: 'mysql', server: 'nope' }, TIMEOUT_MS), 'HAPROXY_NO_SUCH_SERVER');
    await rejectsWith(getServerState(admin, { backend: 'nope', server: 's1' }, TIMEOUT_MS), 'HAPROXY_NO_SUCH_SERVER');
    await rejectsWith(setServerState(admin, { backend: 'mysql', server: 'nope' }, 'maint', TIMEOUT_MS), 'HAPROXY_NO_SUCH_SERVER');
    await rejectsWith(setServerState(admin, { backend: 'nope', server: 's1' }, 'maint', TIMEOUT_MS), 'HAPROXY_NO_SUCH_SERVER');
  });

  test('names outside HAProxy charset are refused before anything is sent', async () => {
    await rejectsWith(setServerState(admin, { backend: 'mysql', server: 's1 state ready; shutdown' }, 'maint', TIMEOUT_MS), 'USAGE');
    await rejectsWith(runtimeCommand(admin, 'show info\nshow stat', TIMEOUT_MS), 'USAGE');
  });
});

describe('reconcile', () => {
  test('sends `set server` only when the state differs', async () => {
    const rec = await RecordingSocket.start(haproxy.statsSocket, path.join(dir, 'rec.sock'));
    try {
      const via = parseRuntimeAddress(rec.path);
      assert.deepEqual(await reconcileServerState(via, S1, 'maint', TIMEOUT_MS), { changed: true, was: 'ready' });
      assert.deepEqual(rec.commands, ['show servers state mysql', 'set server mysql/s1 state maint']);
      assert.equal(await statStatus(S1), 'MAINT');

      rec.commands.length = 0;
      assert.deepEqual(await reconcileServerState(via, S1, 'maint', TIMEOUT_MS), { changed: false, was: 'maint' });
      assert.deepEqual(rec.commands, ['show servers state mysql'], 'an unchanged state sends nothing');

      rec.commands.length = 0;
      assert.deepEqual(await reconcileServerState(via, S1, 'drain', TIMEOUT_MS), { changed: true, was: 'maint' });
      assert.deepEqual(rec.commands, ['show servers state mysql', 'set server mysql/s1 state drain']);
      assert.equal(await statStatus(S1), 'DRAIN');
    } finally {
      await rec.close();
    }
  });
});

describe('failures', () => {
  test('a socket at user level: reading works, setting is HAPROXY_DENIED and changes nothing', async () => {
    assert.equal((await getServerState(user, S1, TIMEOUT_MS)).admin, 'ready');
    await rejectsWith(setServerState(user, S1, 'maint', TIMEOUT_MS), 'HAPROXY_DENIED');
    await rejectsWith(reconcileServerState(user, S1, 'maint', TIMEOUT_MS), 'HAPROXY_DENIED');
    assert.equal(await statStatus(S1), 'no check');
  });

  test('a missing socket and a refused port are HAPROXY_UNREACHABLE', async () => {
    const missing = await rejectsWith(getServerState({ socket: path.join(dir, 'missing.sock') }, S1, TIMEOUT_MS), 'HAPROXY_UNREACHABLE');
    assert.match(missing.message, /ENOENT/);
    const refused = await rejectsWith(
      setServerState({ host: '127.0.0.1', port: await refusedPort() }, S1, 'maint', TIMEOUT_MS),
      'HAPROXY_UNREACHABLE',
    );
    assert.match(refused.message, /ECONNREFUSED/);
  });

  test('a listener that accepts and never answers is HAPROXY_UNREACHABLE within the timeout', async () => {
    const silent = await FaultListener.start('silent');
    try {
      const started = Date.now();
      await rejectsWith(reconcileServerState({ host: '127.0.0.1', port: silent.port }, S1, 'maint', 500), 'HAPROXY_UNREACHABLE');
      const took = Date.now() - started;
      assert.ok(took >= 450 && took < 3_000, `gave up after ${took} ms, for a 500 ms timeout`);
    } finally {
      await silent.close();
    }
  });
});

describe('reload', () => {
  test('with server-state-file and load-server-state-from-file, a reload keeps the pushed states', async () => {
    await setServerState(admin, S1, 'maint', TIMEOUT_MS);
    await setServerState(admin, S2, 'drain', TIMEOUT_MS);
    // As the management guide says: dump `show servers state` into the file, then reload.
    fs.writeFileSync(stateFile, await runtimeCommand(admin, 'show servers state', TIMEOUT_MS));
    const oldPid = haproxy.pid;
    await haproxy.reload();
    assert.notEqual(haproxy.pid, oldPid);
    assert.equal((await getServerState(admin, S1, TIMEOUT_MS)).admin, 'maint');
    assert.equal((await getServerState(admin, S2, TIMEOUT_MS)).admin, 'drain');
    assert.equal(await statStatus(S1), 'MAINT');
    assert.equal(await statStatus(S2), 'DRAIN');
  });

  test('without the state file the same reload forgets them (what the settings are for)', async () => {
    await setServerState(admin, S1, 'maint', TIMEOUT_MS);
    fs.rmSync(stateFile, { force: true });
    await haproxy.reload();
    assert.equal((await getServerState(admin, S1, TIMEOUT_MS)).admin, 'ready');
  });
});

describe('the detached hook job', () => {
  test('pushes its state to HAProxy and logs the push, after the caller has moved on', async () => {
    const logFile = path.join(dir, 'job.log');
    const pid = startDetachedHooks({
      commands: [],
      events: [
        { event: 'down', node: 'db1', peer: 'db2', from: 'up', to: 'down', reason: 'test', lag: null, time: Date.now(), actor: 'probe' },
      ],
      timeoutMs: 5_000,
      logFile,
      tool: 'e2e',
      haproxy: [{ address: admin, ref: S1, state: 'maint' }],
    });
    assert.ok(pid !== undefined, 'the job started');
    registerPid(pid, 'hook-job');
    await until('the server is MAINT', async () => (await statStatus(S1)) === 'MAINT', 15_000);
    await until('the push is logged', async () => fs.existsSync(logFile) && fs.readFileSync(logFile, 'utf8').includes('\n'), 15_000);
    const line = fs.readFileSync(logFile, 'utf8');
    assert.match(
      line,
      / e2e pid=\d+ haproxy="[^"]+stats\.sock" server="mysql\/s1" state="maint" changed=true was=ready duration_ms=\d+\n$/,
    );
  });
});
