/**
 * holdFailover (src/probe/failover.ts) with a real state file in a temporary
 * directory and a stamp that fails: the answer becomes heartbeat-write-failed,
 * and a peer that cannot be reached is still lost (the read-only survivor's
 * peer-lost event), while a reachable peer fires nothing.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Deadline } from '../../../src/core/deadline';
import type { Decision } from '../../../src/core/decide';
import { DEFAULT_POLICY } from '../../../src/core/failover-state';
import type { FailoverSettings } from '../../../src/config/failover-settings';
import { holdFailover } from '../../../src/probe/failover';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mfc-hold-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;

function settings(): FailoverSettings {
  return {
    stateFile: path.join(root, `state-${++n}.ini`),
    identity: 'tcp:127.0.0.1:3306 mysql_failover.heartbeat',
    policy: { ...DEFAULT_POLICY },
    hooks: [],
    hookTimeoutMs: 30_000,
    haproxy: [],
  };
}

function raw(reason: 'peer-unreachable' | 'fresh'): Decision {
  return { verdict: 'UP', reason, detail: reason, stamp: true, steps: [], warnings: [] };
}

const refused = async () => ({ code: 'READ_ONLY', message: 'local server: ER_OPTION_PREVENTS_STATEMENT (1290): --read-only' });

test('a stamp refused while the peer is gone: DOWN heartbeat-write-failed, and still peer-lost', async () => {
  const f = settings();
  const out = await holdFailover(f, { raw: raw('peer-unreachable'), at: Date.now(), actor: 'watcher' }, Deadline.in(5_000), refused);
  assert.equal(out.decision.verdict, 'DOWN');
  assert.equal(out.decision.reason, 'heartbeat-write-failed');
  assert.equal(out.stamped, false);
  assert.equal(out.state?.peer.lost, true);
  assert.deepEqual(
    out.events.map((e) => e.event),
    ['peer-lost', 'down'],
  );
  assert.equal(out.events[0]?.actor, 'watcher');
});

test('the same refusal with the peer there: DOWN, and no peer event', async () => {
  const f = settings();
  const out = await holdFailover(f, { raw: raw('fresh'), at: Date.now(), actor: 'probe' }, Deadline.in(5_000), refused);
  assert.equal(out.decision.reason, 'heartbeat-write-failed');
  assert.equal(out.state?.peer.lost, false);
  assert.deepEqual(
    out.events.map((e) => e.event),
    ['down'],
  );
});
