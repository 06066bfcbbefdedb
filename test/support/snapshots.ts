/**
 * Evaluation snapshots for the metrics tests: a healthy node, and the same
 * node after STOP SLAVE IO_THREAD with a stale heartbeat (lag NULL, IO No,
 * SQL Yes: DOWN, replication-stopped).
 */
import type { EvaluationSnapshot } from '../../src/answers/metrics';

type Channel = EvaluationSnapshot['channels'][number];

export const HEALTHY_CHANNEL: Readonly<Channel> = {
  name: '',
  lagSeconds: 0,
  ioRunning: true,
  sqlRunning: true,
  lastIoErrno: 0,
  lastSqlErrno: 0,
};
export const IO_STOPPED_CHANNEL: Readonly<Channel> = { ...HEALTHY_CHANNEL, lagSeconds: null, ioRunning: false };

export function healthySnapshot(over: Partial<EvaluationSnapshot> = {}): EvaluationSnapshot {
  return {
    at: Date.now(),
    durationMs: 12,
    answered: { verdict: 'UP', reason: 'fresh' },
    raw: { verdict: 'UP', reason: 'fresh' },
    state: 'up',
    heartbeatAgeSeconds: 3,
    peer: 'reachable',
    channels: [{ ...HEALTHY_CHANNEL }],
    ...over,
  };
}

export function ioStoppedSnapshot(over: Partial<EvaluationSnapshot> = {}): EvaluationSnapshot {
  return healthySnapshot({
    answered: { verdict: 'DOWN', reason: 'replication-stopped' },
    raw: { verdict: 'DOWN', reason: 'replication-stopped' },
    state: 'down',
    heartbeatAgeSeconds: 45,
    channels: [{ ...IO_STOPPED_CHANNEL }],
    ...over,
  });
}
