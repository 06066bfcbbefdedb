/**
 * The heartbeat stamp on the local session the facts were read on: the real
 * one for load-balancer probes, and a rolled-back trial for the read-only
 * modes. The SQL and why it is shaped so are in src/core/heartbeat.ts.
 */
import type { Deadline } from '../core/deadline';
import {
  insertFirstRowSql,
  stampSessionSql,
  stampSql,
  TRIAL_SESSION_END_SQL,
  TRIAL_SESSION_SQL,
  trialStampSql,
  type HeartbeatRead,
  type StateMirror,
  type TableName,
} from '../core/heartbeat';
import type { Session } from '../io/mysql';

/**
 * Stamps the heartbeat (committed), with the state mirror in the same
 * statement when given (src/probe/state-mirror.ts); rejects with a CheckError.
 */
export async function stampHeartbeat(
  session: Session,
  table: TableName,
  read: HeartbeatRead,
  deadline: Deadline,
  mirror?: StateMirror,
): Promise<void> {
  await session.execute(stampSessionSql(deadline.remaining() / 1000), [], deadline);
  const { sql, params } = stampSql(table, read.keyed, read.node, mirror);
  const result = await session.execute(sql, params, deadline);
  if (!read.keyed && result.affectedRows === 0) {
    await session.execute(insertFirstRowSql(table), [], deadline);
  }
}

/**
 * Tries the stamp without changing anything (src/core/heartbeat.ts trialStampSql):
 * the read-only modes predict heartbeat-write-failed with it. Rejects with a
 * CheckError when the real stamp would fail.
 */
export async function trialStamp(session: Session, table: TableName, read: HeartbeatRead, deadline: Deadline): Promise<void> {
  await session.execute(TRIAL_SESSION_SQL, [], deadline);
  const { sql, params } = trialStampSql(table, read.keyed, read.node);
  await session.execute(sql, params, deadline);
  // Not committing would be enough (close() ends the session), but an explicit
  // rollback releases the row lock before the socket is gone.
  await session.execute('ROLLBACK', [], deadline);
  // A kept session (serve's watcher and scrapes) reads the heartbeat again in
  // its next check: with autocommit still off, that read would open a
  // transaction whose snapshot every later read of the session would see.
  await session.execute(TRIAL_SESSION_END_SQL, [], deadline);
}
