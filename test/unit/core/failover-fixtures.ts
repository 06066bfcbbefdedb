/** Raw decisions, a synthetic clock and policies shared by the failover state and events tests. */
import { DEFAULT_POLICY, type Evaluation, type FailoverPolicy, type RawDecision } from '../../../src/core/failover-state';

export const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
export const S = 1000;

export const FRESH: RawDecision = { verdict: 'UP', reason: 'fresh', detail: 'heartbeat age 1 s <= 20 s' };
export const CAUGHT_UP: RawDecision = { verdict: 'UP', reason: 'caught-up', detail: 'replication caught up (lag 0 s <= 1 s)' };
export const LOCAL_DOWN: RawDecision = { verdict: 'DOWN', reason: 'local-unreachable', detail: 'local server: connect ECONNREFUSED' };
export const STOPPED: RawDecision = {
  verdict: 'DOWN',
  reason: 'replication-stopped',
  detail: 'default channel: IO No, SQL Yes, lag unknown',
};
export const PEER_GONE: RawDecision = { verdict: 'UP', reason: 'peer-unreachable', detail: 'peer unreachable (CONNECT_FAILED)' };
export const MAINTENANCE: RawDecision = { verdict: 'DOWN', reason: 'maintenance', detail: 'maintenance file present' };
export const RESTARTED = 'server uptime 30 s < heartbeat age 600 s';

export function policy(over: Partial<FailoverPolicy> = {}): FailoverPolicy {
  return { ...DEFAULT_POLICY, ...over };
}

/** An evaluation `atMs` after T0, its flags derived from the raw reason as the caller derives them. */
export function evaluation(atMs: number, raw: RawDecision, over: Partial<Evaluation> = {}): Evaluation {
  return {
    at: T0 + atMs,
    raw,
    maintenance: raw.reason === 'maintenance',
    peerUnreachable: raw.reason === 'peer-unreachable',
    actor: 'probe',
    ...over,
  };
}
