/** Builders for recorded-shape facts used by the pure unit tests. */
import type { ReplicaChannel } from '../../src/core/replica-status';

/** A healthy default channel; `over` changes what a test is about. */
export function channel(over: Partial<ReplicaChannel> = {}): ReplicaChannel {
  return {
    name: '',
    ioRunning: 'Yes',
    sqlRunning: 'Yes',
    lag: 0,
    sourceHost: '10.0.0.2',
    sourcePort: 3306,
    sourceServerId: null,
    lastIoErrno: 0,
    lastIoError: '',
    lastSqlErrno: 0,
    lastSqlError: '',
    sqlDelay: 0,
    ...over,
  };
}
