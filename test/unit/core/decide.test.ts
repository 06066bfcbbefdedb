import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterStampFailure, decide, errorDecision, type Facts, type Heartbeat } from '../../../src/core/decide';
import type { ReplicaChannel } from '../../../src/core/replica-status';
import { channel } from '../../support/channels';

const T = { fresh: 20, maxLag: 1 };

function facts(heartbeat: Heartbeat, channels: ReplicaChannel[] = [channel()], over: Partial<Facts> = {}): Facts {
  return { maintenance: false, local: { ok: true, heartbeat, channels }, peer: { configured: true, ok: true }, ...over };
}

const fresh: Heartbeat = { state: 'ok', age: 5 };
const stale: Heartbeat = { state: 'ok', age: 21 };
const peerDown = {
  configured: true as const,
  ok: false as const,
  reachable: false,
  error: { code: 'CONNECT_FAILED', message: 'peer: ECONNREFUSED' },
};
const peerRefused = {
  configured: true as const,
  ok: false as const,
  reachable: true,
  error: { code: 'AUTH_FAILED', message: 'peer: connect: ER_ACCESS_DENIED_ERROR (1045): Access denied', errno: 1045 },
};

test('row 0: maintenance wins over everything, no stamp', () => {
  const d = decide(facts(fresh, [], { maintenance: true, peer: peerDown }), T);
  assert.deepEqual([d.verdict, d.reason, d.stamp], ['DOWN', 'maintenance', false]);
});

test('row 1: local unreachable is DOWN even when the peer is down too', () => {
  const d = decide(
    { maintenance: false, local: { ok: false, error: { code: 'TIMEOUT', message: 'local server: connect: no answer' } }, peer: peerDown },
    T,
  );
  assert.deepEqual([d.verdict, d.reason, d.stamp], ['DOWN', 'local-unreachable', false]);
  assert.match(d.detail, /no answer/);
});

test('row 2: peer unreachable is UP and stamps, even with stale heartbeat and stopped replication', () => {
  const d = decide(facts(stale, [channel({ ioRunning: 'Connecting', lag: null })], { peer: peerDown }), T);
  assert.deepEqual([d.verdict, d.reason, d.stamp], ['UP', 'peer-unreachable', true]);
});

test('row 2 does not apply when no peer is configured', () => {
  const d = decide(facts(stale, [channel({ sqlRunning: 'No', lag: null })], { peer: { configured: false } }), T);
  assert.equal(d.reason, 'replication-stopped');
});

test('row 3: heartbeat age equal to fresh is still fresh (inclusive)', () => {
  const d = decide(facts({ state: 'ok', age: 20 }, [channel({ sqlRunning: 'No', lag: null })]), T);
  assert.deepEqual([d.verdict, d.reason, d.stamp], ['UP', 'fresh', true]);
});

test('row 3: fresh ignores replication entirely', () => {
  const d = decide(facts(fresh, []), T);
  assert.equal(d.reason, 'fresh');
});

test('one second past fresh is stale', () => {
  const d = decide(facts({ state: 'ok', age: 21 }, []), T);
  assert.equal(d.reason, 'not-a-replica');
});

for (const hb of [
  { state: 'empty', age: null },
  { state: 'null', age: null },
  { state: 'future', age: -3600 },
] as Heartbeat[]) {
  test(`a heartbeat that is ${hb.state} counts as stale`, () => {
    const d = decide(facts(hb, [channel({ lag: 5 })]), T);
    assert.equal(d.reason, 'catching-up');
  });
}

test('row 4: stale and no replication configured is DOWN not-a-replica', () => {
  const d = decide(facts(stale, []), T);
  assert.deepEqual([d.verdict, d.reason, d.stamp], ['DOWN', 'not-a-replica', false]);
});

test('row 4: --channel naming a channel that does not exist', () => {
  const d = decide(facts(stale, [channel({ name: 'a' })]), { ...T, channel: 'b' });
  assert.equal(d.reason, 'not-a-replica');
  assert.match(d.detail, /'b'/);
});

const stoppedCases: [string, Partial<ReplicaChannel>][] = [
  ['IO thread No', { ioRunning: 'No', lag: null }],
  ['IO thread Connecting', { ioRunning: 'Connecting', lag: null }],
  ['IO thread Preparing (lag known)', { ioRunning: 'Preparing', lag: 0 }],
  ['SQL thread No', { sqlRunning: 'No', lag: null }],
  ['both running but lag NULL', { lag: null }],
];
for (const [name, over] of stoppedCases) {
  test(`row 5: ${name} is DOWN replication-stopped`, () => {
    const d = decide(facts(stale, [channel(over)]), T);
    assert.deepEqual([d.verdict, d.reason, d.stamp], ['DOWN', 'replication-stopped', false]);
  });
}

test('row 5: one stopped channel among healthy ones is enough', () => {
  const d = decide(facts(stale, [channel({ name: 'a' }), channel({ name: 'b', sqlRunning: 'No', lag: null })]), T);
  assert.equal(d.reason, 'replication-stopped');
  assert.match(d.detail, /'b'/);
});

test('row 5 skips channels not selected by --channel', () => {
  const d = decide(facts(stale, [channel({ name: 'a' }), channel({ name: 'b', sqlRunning: 'No', lag: null })]), { ...T, channel: 'a' });
  assert.equal(d.reason, 'caught-up');
});

test('row 6: lag equal to max-lag is caught up (inclusive) and stamps', () => {
  const d = decide(facts(stale, [channel({ lag: 1 })]), T);
  assert.deepEqual([d.verdict, d.reason, d.stamp], ['UP', 'caught-up', true]);
});

test('row 6 needs every channel caught up', () => {
  const d = decide(facts(stale, [channel({ name: 'a', lag: 0 }), channel({ name: 'b', lag: 2 })]), T);
  assert.deepEqual([d.verdict, d.reason], ['DOWN', 'catching-up']);
  assert.match(d.detail, /'b'/);
});

test('row 7: lag above max-lag is DOWN catching-up, no stamp', () => {
  const d = decide(facts(stale, [channel({ lag: 2 })]), T);
  assert.deepEqual([d.verdict, d.reason, d.stamp], ['DOWN', 'catching-up', false]);
});

test('row 7 names the worst channel', () => {
  const d = decide(facts(stale, [channel({ name: 'a', lag: 9 }), channel({ name: 'b', lag: 30 }), channel({ name: 'c', lag: 4 })]), T);
  assert.match(d.detail, /'b'.*lag 30 s/);
});

test('the steps describe the path and end with the verdict', () => {
  const d = decide(facts(stale, [channel({ lag: 0 })]), T);
  assert.equal(d.steps.at(-1), '=> UP (caught-up)');
  assert.ok(d.steps.some((s) => s.includes('heartbeat stale')));
});

test('a failed stamp turns UP into DOWN heartbeat-write-failed', () => {
  const up = decide(facts(fresh), T);
  const d = afterStampFailure(up, { code: 'READ_ONLY', message: 'local server: statement: ER_OPTION_PREVENTS_STATEMENT (1290)' });
  assert.deepEqual([d.verdict, d.reason, d.stamp], ['DOWN', 'heartbeat-write-failed', false]);
});

test('an unexpected error is DOWN error', () => {
  const d = errorDecision({ code: 'USAGE', message: 'bad' });
  assert.deepEqual([d.verdict, d.reason, d.stamp], ['DOWN', 'error', false]);
});

test('row 2 is for a dead peer only: a refusing peer is alive, so a stale, stopped node is DOWN and not stamped', () => {
  const d = decide(facts(stale, [channel({ sqlRunning: 'No', lag: null })], { peer: peerRefused }), T);
  assert.deepEqual([d.verdict, d.reason, d.stamp], ['DOWN', 'replication-stopped', false]);
  assert.equal(d.warnings.length, 1);
  assert.match(d.warnings[0] ?? '', /^peer refused: .*1045/);
  assert.ok(d.steps.some((s) => /alive/.test(s)));
});

test('a refusing peer with a fresh heartbeat: UP fresh, and the refusal is still reported', () => {
  const d = decide(facts(fresh, [], { peer: peerRefused }), T);
  assert.deepEqual([d.verdict, d.reason, d.stamp], ['UP', 'fresh', true]);
  assert.match(d.warnings.join(';'), /1045/);
});

test('a peer not asked (a fresh heartbeat decides without it): UP fresh, no warning, and the steps say so', () => {
  const d = decide(facts(fresh, [], { peer: { configured: false, notAsked: true } }), T);
  assert.deepEqual([d.verdict, d.reason, d.stamp], ['UP', 'fresh', true]);
  assert.deepEqual(d.warnings, []);
  assert.ok(d.steps.includes('peer not asked: the heartbeat decides'), d.steps.join('; '));
});

test('--peer auto without a source: decided as without a peer, and said', () => {
  const unresolved = { code: 'PEER_UNRESOLVED', message: '--peer auto: no replication channel to take the source from' };
  const d = decide(facts(stale, [], { peer: { configured: false, unresolved } }), T);
  assert.deepEqual([d.verdict, d.reason], ['DOWN', 'not-a-replica']);
  assert.deepEqual(d.warnings, [unresolved.message]);
});

test('row 1 reasons say what is wrong', () => {
  const cases: Array<[string, string]> = [
    ['CONNECT_FAILED', 'local-unreachable'],
    ['TIMEOUT', 'local-unreachable'],
    ['CONNECTION_LOST', 'local-unreachable'],
    ['AUTH_FAILED', 'local-auth-failed'],
    ['PRIVILEGE', 'local-privilege-missing'],
    ['NO_SUCH_TABLE', 'heartbeat-missing'],
    ['BAD_HEARTBEAT_TABLE', 'heartbeat-invalid'],
    ['TOO_MANY_CONNECTIONS', 'local-refused'],
    ['QUERY_FAILED', 'local-refused'],
    ['TLS_FAILED', 'local-refused'],
    ['INTERNAL', 'error'],
  ];
  for (const [code, reason] of cases) {
    const d = decide({ maintenance: false, local: { ok: false, error: { code, message: `local server: ${code}` } }, peer: peerDown }, T);
    assert.deepEqual([d.verdict, d.reason, d.stamp], ['DOWN', reason, false], code);
  }
});

test('a replica status that cannot be read does not change a fresh UP, but warns of the stale DOWN to come', () => {
  const replicationError = { code: 'PRIVILEGE', message: 'local server: query: ER_SPECIFIC_ACCESS_DENIED_ERROR (1227)', errno: 1227 };
  const d = decide(
    { maintenance: false, local: { ok: true, heartbeat: fresh, channels: [], replicationError }, peer: { configured: false } },
    T,
  );
  assert.deepEqual([d.verdict, d.reason], ['UP', 'fresh']);
  assert.match(d.warnings.join(';'), /1227.*will answer DOWN once its heartbeat is stale/);
});
