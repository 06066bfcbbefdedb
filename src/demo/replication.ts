/**
 * Two-way GTID replication of the demo pair, pure: the statements that set
 * it up, and what SHOW SLAVE STATUS and the GTID positions say.
 */

/** Parses a GTID position such as "1-1-5,2-2-17" into domain -> sequence number. */
export function parseGtidPos(pos: string): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (const part of pos.split(',')) {
    const m = /^\s*(\d+)-(\d+)-(\d+)\s*$/.exec(part);
    if (m?.[1] !== undefined && m[3] !== undefined) out.set(Number(m[1]), BigInt(m[3]));
  }
  return out;
}

/**
 * Whether a node whose @@gtid_binlog_pos is `have` holds everything of
 * `target` (its source's @@gtid_binlog_pos). With log_slave_updates a node's
 * binlog position includes what it applied from its source, domain by domain.
 */
export function hasReached(target: ReadonlyMap<number, bigint>, have: ReadonlyMap<number, bigint>): boolean {
  for (const [domain, seq] of target) {
    if ((have.get(domain) ?? -1n) < seq) return false;
  }
  return true;
}

/**
 * CHANGE MASTER for one direction, with placeholders for host, port, user
 * and password (bound by the client library, so the password never sits in
 * SQL text we build). slave_pos: each node resumes from what it applied, so
 * a node that returns after a crash continues where it stopped. Retry and
 * heartbeat every second: a returning node is seen within a second or two.
 */
export const CHANGE_MASTER_SQL =
  'CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?, ' +
  'MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1, MASTER_HEARTBEAT_PERIOD = 1';

/** The replica side of a node, as SHOW SLAVE STATUS reports it. */
export interface ReplicaState {
  ioRunning: string;
  sqlRunning: string;
  /** Seconds_Behind_Master; null when the server reports NULL (unknown: a thread is not running). */
  lagSeconds: number | null;
  lastIoError: string;
  lastSqlErrno: number;
  lastSqlError: string;
}

function text(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

/** undefined when the node has no replica configured (SHOW SLAVE STATUS returned no row). */
export function replicaState(row: Record<string, unknown> | undefined): ReplicaState | undefined {
  if (row === undefined) return undefined;
  const lag = row['Seconds_Behind_Master'];
  return {
    ioRunning: text(row['Slave_IO_Running']),
    sqlRunning: text(row['Slave_SQL_Running']),
    lagSeconds: lag === null || lag === undefined || lag === '' ? null : Number(lag),
    lastIoError: text(row['Last_IO_Error']),
    lastSqlErrno: Number(row['Last_SQL_Errno'] ?? 0),
    lastSqlError: text(row['Last_SQL_Error']),
  };
}

export function isReplicating(s: ReplicaState | undefined): boolean {
  return s !== undefined && s.ioRunning === 'Yes' && s.sqlRunning === 'Yes';
}

/** A stopped SQL thread with an error does not heal by itself: waiting for it is pointless. */
export function sqlThreadFailed(s: ReplicaState | undefined): boolean {
  return s !== undefined && s.sqlRunning === 'No' && s.lastSqlErrno !== 0;
}

export function describeReplica(s: ReplicaState | undefined): string {
  if (s === undefined) return 'no replica configured';
  const parts = [`IO ${s.ioRunning || '?'}`, `SQL ${s.sqlRunning || '?'}`, `lag ${s.lagSeconds ?? 'NULL'}`];
  if (s.lastIoError) parts.push(`last IO error: ${s.lastIoError}`);
  if (s.lastSqlError) parts.push(`last SQL error ${s.lastSqlErrno}: ${s.lastSqlError}`);
  return parts.join(', ');
}
