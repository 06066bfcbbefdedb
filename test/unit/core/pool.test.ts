/**
 * The pair seen whole (src/core/pool.ts), pure: a login as a connection and
 * as peer facts, a heartbeat row's mirrored failover state and the answer
 * through it, the topology by server_id, stopped replication, the summary.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, type Decision, type Facts, type FactError } from '../../../src/core/decide';
import { DEFAULT_POLICY } from '../../../src/core/failover-state';
import {
  answerThroughMirror,
  connectionOf,
  foreignSources,
  isReachable,
  peerFactsOf,
  peerIsSourceById,
  stateOfMirror,
  stoppedChannels,
  summarise,
  type PoolMember,
} from '../../../src/core/pool';
import type { ReplicaChannel } from '../../../src/core/replica-status';
import { channel } from '../../support/channels';

const T = { fresh: 20, maxLag: 1 };
const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);

function verdict(over: Partial<{ age: number; channels: ReplicaChannel[]; peer: Facts['peer']; maintenance: boolean }> = {}): Decision {
  return decide(
    {
      maintenance: over.maintenance ?? false,
      local: { ok: true, heartbeat: { state: 'ok', age: over.age ?? 5 }, channels: over.channels ?? [channel()] },
      peer: over.peer ?? { configured: true, ok: true },
    },
    T,
  );
}

const FRESH = verdict();
const STOPPED = verdict({ age: 300, channels: [channel({ ioRunning: 'No', sqlRunning: 'No', lag: null })] });
const ALONE = verdict({
  age: 300,
  peer: { configured: true, ok: false, reachable: false, error: { code: 'CONNECT_FAILED', message: 'x' } },
});

describe('a login', () => {
  const err = (code: string, errno?: number): FactError => ({ code, message: code, ...(errno === undefined ? {} : { errno }) });

  test('as a connection: logged in, refused with an error packet, nothing, not in time, no address', () => {
    assert.equal(connectionOf(undefined), 'ok');
    assert.equal(connectionOf(err('AUTH_FAILED', 1045)), 'refused');
    assert.equal(connectionOf(err('TOO_MANY_CONNECTIONS', 1040)), 'refused');
    assert.equal(connectionOf(err('CONNECTION_LOST', 1053)), 'refused', 'a shutdown packet is a live server');
    assert.equal(connectionOf(err('CONNECT_FAILED')), 'unreachable');
    assert.equal(connectionOf(err('CONNECTION_LOST')), 'unreachable');
    assert.equal(connectionOf(err('TIMEOUT')), 'no-answer');
    assert.equal(connectionOf(err('PEER_UNRESOLVED')), 'unknown');
    assert.deepEqual((['ok', 'refused', 'unreachable', 'no-answer', 'unknown'] as const).map(isReachable), [
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  test("as the other node's peer facts: what its own probe would find (a refusing server is alive)", () => {
    assert.deepEqual(peerFactsOf(undefined), { configured: true, ok: true });
    const refused = peerFactsOf(err('AUTH_FAILED', 1045));
    assert.ok(refused.configured && !refused.ok && refused.reachable);
    const gone = peerFactsOf(err('TIMEOUT'));
    assert.ok(gone.configured && !gone.ok && !gone.reachable);
    assert.equal(peerFactsOf(err('PEER_UNRESOLVED')).configured, false);
  });
});

describe('the mirrored failover state', () => {
  test('no state column is unknown, NULL is none, a state is known from its row (seconds to ms)', () => {
    assert.equal(stateOfMirror(undefined).kind, 'unknown');
    assert.equal(stateOfMirror({ state: null, since: null }).kind, 'none');
    assert.equal(stateOfMirror({ state: 'sideways', since: 5 }).kind, 'unknown');
    assert.equal(stateOfMirror({ state: 'up', since: null }).kind, 'unknown');
    assert.deepEqual(stateOfMirror({ state: 'failed', since: 1_700_000_000 }), {
      kind: 'known',
      name: 'failed',
      since: 1_700_000_000_000,
      source: 'heartbeat-row',
    });
  });

  test('latched: a node that would be UP by itself stays DOWN awaiting-recover; its own DOWN reason shows as is', () => {
    const since = NOW - 60_000;
    const up = answerThroughMirror(FRESH, { name: 'failed', since }, DEFAULT_POLICY, NOW);
    assert.equal(up.verdict, 'DOWN');
    assert.equal(up.reason, 'awaiting-recover');
    assert.equal(answerThroughMirror(STOPPED, { name: 'failed', since }, DEFAULT_POLICY, NOW).reason, 'replication-stopped');
  });

  test('latched but the last node left: UP peer-unreachable', () => {
    const d = answerThroughMirror(ALONE, { name: 'failed', since: NOW - 1000 }, DEFAULT_POLICY, NOW);
    assert.equal(d.verdict, 'UP');
    assert.equal(d.reason, 'peer-unreachable');
  });

  test('holds run under the given policy, from the mirrored start', () => {
    const policy = { ...DEFAULT_POLICY, upAfterMs: 10_000, downAfterMs: 10_000 };
    assert.equal(answerThroughMirror(FRESH, { name: 'recovering', since: NOW - 2_000 }, policy, NOW).reason, 'holding-down');
    assert.equal(answerThroughMirror(FRESH, { name: 'recovering', since: NOW - 20_000 }, policy, NOW).verdict, 'UP');
    assert.equal(answerThroughMirror(STOPPED, { name: 'failing', since: NOW - 2_000 }, policy, NOW).reason, 'holding-up');
    assert.equal(answerThroughMirror(STOPPED, { name: 'failing', since: NOW - 20_000 }, policy, NOW).reason, 'replication-stopped');
  });

  test('maintenance stays maintenance while the decision says so; a state that changes nothing returns the decision itself', () => {
    const drained = verdict({ maintenance: true });
    assert.equal(answerThroughMirror(drained, { name: 'maintenance', since: NOW - 5_000 }, DEFAULT_POLICY, NOW).reason, 'maintenance');
    assert.equal(answerThroughMirror(FRESH, { name: 'up', since: NOW - 5_000 }, DEFAULT_POLICY, NOW), FRESH);
    assert.equal(answerThroughMirror(FRESH, { name: 'down', since: NOW - 5_000 }, DEFAULT_POLICY, NOW).verdict, 'UP');
  });
});

function member(role: PoolMember['role'], over: Partial<PoolMember> = {}): PoolMember {
  return { role, address: role === 'local' ? 'db1:3306' : 'db2:3306', connection: 'ok', decision: FRESH, ...over };
}

describe('the topology', () => {
  test('a channel from a server_id other than the other node is flagged; unknown ids never are', () => {
    const a = member('local', { serverId: 1, channels: [channel({ sourceServerId: 3, sourceHost: 'db3' })] });
    const flags = foreignSources(a, member('peer', { serverId: 2 }));
    assert.equal(flags.length, 1);
    assert.equal(flags[0]?.code, 'foreign-source');
    assert.match(
      flags[0]?.message ?? '',
      /the local node replicates from server_id 3 \(db3:3306, its default channel\), not from the peer \(server_id 2\)/,
    );
    assert.deepEqual(foreignSources(member('local', { channels: [channel({ sourceServerId: 2 })] }), member('peer', { serverId: 2 })), []);
    assert.deepEqual(
      foreignSources(member('local', { channels: [channel({ sourceServerId: null })] }), member('peer', { serverId: 2 })),
      [],
    );
    assert.deepEqual(foreignSources(member('local', { channels: [channel({ sourceServerId: 3 })] }), member('peer')), []);
  });

  test('--peer is the source by server_id: yes, no, or cannot tell', () => {
    assert.equal(peerIsSourceById([channel({ sourceServerId: 2 })], 2), true);
    assert.equal(peerIsSourceById([channel({ sourceServerId: 3 })], 2), false);
    assert.equal(peerIsSourceById([channel({ sourceServerId: 3 }), channel({ name: 'x', sourceServerId: null })], 2), undefined);
    assert.equal(peerIsSourceById([channel({ sourceServerId: 2 }), channel({ name: 'x', sourceServerId: null })], 2), true);
    assert.equal(peerIsSourceById([channel({ sourceServerId: 2 })], undefined), undefined);
    assert.equal(peerIsSourceById([], 2), undefined);
  });

  test('stopped replication is flagged, but not a replica thread that cannot reach the other node when that node is gone', () => {
    const stopped = [channel({ ioRunning: 'No', sqlRunning: 'No', lag: null, lastSqlErrno: 1062 })];
    const flags = stoppedChannels(member('peer', { channels: stopped }), member('local'));
    assert.equal(flags.length, 1);
    assert.match(
      flags[0]?.message ?? '',
      /^the peer: replication stopped on its default channel from 10\.0\.0\.2:3306: IO No, SQL No, last SQL error 1062$/,
    );
    const connecting = [channel({ ioRunning: 'Connecting', lag: null })];
    assert.deepEqual(stoppedChannels(member('local', { channels: connecting }), member('peer', { connection: 'unreachable' })), []);
    assert.deepEqual(stoppedChannels(member('local', { channels: connecting }), member('peer', { connection: 'no-answer' })), []);
    assert.equal(stoppedChannels(member('local', { channels: connecting }), member('peer')).length, 1, 'the other node is there');
    assert.equal(stoppedChannels(member('local', { channels: stopped }), member('peer', { connection: 'unreachable' })).length, 1);
  });
});

describe('the summary', () => {
  test('both, one (no redundancy, saying why the other is out), none (flagged first)', () => {
    const both = summarise(member('local'), member('peer'), undefined);
    assert.deepEqual(both, { up: 2, pool: 'both', text: 'both nodes would take traffic', flags: [] });

    const one = summarise(
      member('local', { decision: ALONE }),
      member('peer', { connection: 'unreachable', decision: STOPPED }),
      undefined,
    );
    assert.equal(one.pool, 'one');
    assert.equal(one.up, 1);
    assert.equal(one.text, 'only the local node (db1:3306) would take traffic: no redundancy (the peer: DOWN replication-stopped)');

    const none = summarise(
      member('local', { decision: STOPPED }),
      member('peer', { decision: STOPPED }),
      '--peer db2:3306 is not the source',
    );
    assert.equal(none.pool, 'none');
    assert.equal(none.text, 'no node would take traffic');
    assert.deepEqual(
      none.flags.map((f) => f.code),
      ['no-traffic', 'peer-not-source'],
    );
  });

  test('flags in the order an operator must see them: nobody serving, the topology, then stopped replication', () => {
    const stopped = [channel({ ioRunning: 'No', sqlRunning: 'No', lag: null, sourceServerId: 9 })];
    const s = summarise(
      member('local', { decision: STOPPED, serverId: 1, channels: stopped }),
      member('peer', { decision: STOPPED, serverId: 2, channels: [channel({ sourceServerId: 1 })] }),
      'not the source',
    );
    assert.deepEqual(
      s.flags.map((f) => f.code),
      ['no-traffic', 'foreign-source', 'peer-not-source', 'replication-stopped'],
    );
  });
});
