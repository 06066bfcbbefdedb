/** Pool results built from recorded-shape facts, for the pure tests of pool's answers. */
import { decide, type Facts } from '../../src/core/decide';
import type { ReplicaChannel } from '../../src/core/replica-status';
import { summarise } from '../../src/core/pool';
import { poolMember, type PoolNode, type PoolResult } from '../../src/probe/pool';
import { channel } from './channels';

const T = { fresh: 20, maxLag: 1 };

export function poolResult(local: PoolNode, peer: PoolNode, notSource?: string): PoolResult {
  return {
    local,
    peer,
    summary: summarise(poolMember(local), poolMember(peer), notSource),
    table: { database: 'mysql_failover', table: 'heartbeat' },
    timeoutMs: 3000,
    elapsedMs: 2950,
  };
}

/** A node that answered, with its row (fresh, or `age` s old) and its channels from the other one. */
export function healthyNode(role: 'local' | 'peer', over: Partial<PoolNode> = {}, channels?: ReplicaChannel[], age = 3): PoolNode {
  const id = role === 'local' ? 1 : 2;
  const facts: Facts = {
    maintenance: false,
    local: {
      ok: true,
      heartbeat: { state: 'ok', age },
      channels: channels ?? [channel({ sourceHost: '10.0.0.9', sourceServerId: 3 - id })],
    },
    peer: { configured: true, ok: true },
  };
  const d = decide(facts, T);
  return {
    role,
    address: `10.0.0.${id}:3306`,
    connection: 'ok',
    error: undefined,
    heartbeat: {
      now: 1000,
      version: '10.11.6-MariaDB',
      serverId: id,
      keyed: true,
      node: String(id),
      heartbeat: { state: 'ok', age },
      readOnly: false,
      mirror: { state: 'up', since: 1_714_564_800 },
    },
    facts: facts.local,
    state: { kind: 'known', name: 'up', since: 1_714_564_800_000, source: role === 'local' ? 'state-file' : 'heartbeat-row' },
    decision: d,
    raw: d,
    wouldBe: undefined,
    notes: [],
    ...over,
  };
}

/** A peer that did not answer within the deadline (frozen). */
export function frozenPeer(): PoolNode {
  const error = { code: 'TIMEOUT', message: 'peer: connect: no answer within the deadline' };
  const d = decide({ maintenance: false, local: { ok: false, error }, peer: { configured: true, ok: true } }, T);
  return {
    role: 'peer',
    address: '10.0.0.2:3306',
    connection: 'no-answer',
    error,
    heartbeat: undefined,
    facts: { ok: false, error },
    state: { kind: 'unknown', why: 'its heartbeat row could not be read' },
    decision: d,
    raw: d,
    wouldBe: undefined,
    notes: [],
  };
}
