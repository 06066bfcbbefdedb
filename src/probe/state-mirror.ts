/**
 * The failover state mirror (docs/pool.md, "The state mirror"): the probes
 * that hold a node's failover state copy it into the node's own row of the
 * keyed heartbeat table, so that `pool` on the other node can show it (the
 * state file is on this host only). The stamp carries the copy in its own
 * statement; a change to a state that never stamps is written here.
 *
 * Best effort: bounded, and never changing an answer. The state file is the
 * node's memory; the row is only a copy for others to read.
 */
import type { Deadline } from '../core/deadline';
import type { FailoverState } from '../core/failover-state';
import {
  mirrorStateSql,
  sameMirror,
  stampSessionSql,
  stateMirror,
  type HeartbeatRead,
  type StateMirror,
  type TableName,
} from '../core/heartbeat';
import type { Session } from '../io/mysql';
import type { SessionSource } from './session-source';

/** The longest a copy may take: it is written before the answer goes out. */
export const MIRROR_BOUND_MS = 1000;

/**
 * What the stamp records: nothing where the table has no mirror (no state
 * column, the one-row table) or the state file could not be used; the
 * state's name and start; NULL for a node that keeps no failover state, so
 * that a copy does not outlive the options that kept it.
 */
export function mirrorFor(read: HeartbeatRead, state: FailoverState | undefined, stateful: boolean): StateMirror | undefined {
  if (!read.keyed || read.mirror === undefined) return undefined;
  if (!stateful) return { state: null, since: null };
  return state === undefined ? undefined : stateMirror(state.state, state.since);
}

/** Writes the copy alone; rejects with a CheckError. `node` null: the row of the server's server_id. */
async function writeMirror(
  session: Session,
  table: TableName,
  node: string | null,
  mirror: StateMirror,
  deadline: Deadline,
): Promise<void> {
  const dl = deadline.within(MIRROR_BOUND_MS);
  await session.execute(stampSessionSql(dl.remaining() / 1000), [], dl);
  const { sql, params } = mirrorStateSql(table, node, mirror);
  await session.execute(sql, params, dl);
}

/**
 * After a probe that holds the state and did not stamp: copies the state
 * when the row says otherwise (a change to a state that never stamps, or a
 * copy an earlier probe could not write). Resolves false when the session
 * failed (the caller then does not trust it again).
 */
export async function mirrorChange(
  session: Session,
  table: TableName,
  read: HeartbeatRead,
  state: FailoverState | undefined,
  deadline: Deadline,
): Promise<boolean> {
  if (state === undefined || !read.keyed || read.mirror === undefined || deadline.expired()) return true;
  const mirror = stateMirror(state.state, state.since);
  if (sameMirror(read.mirror, mirror)) return true;
  try {
    await writeMirror(session, table, read.node, mirror, deadline);
    return true;
  } catch {
    return false;
  }
}

/**
 * A state change where no server was asked (the load-balancer probe in
 * maintenance): a session of its own, the row of --node or of the
 * server_id. A table without the columns refuses the statement, which is
 * ignored like any other failure here.
 */
export async function mirrorOnOwnSession(
  sessions: SessionSource,
  table: TableName,
  node: string | undefined,
  state: FailoverState,
  deadline: Deadline,
): Promise<void> {
  if (deadline.expired()) return;
  const dl = deadline.within(MIRROR_BOUND_MS);
  let session: Session | undefined;
  let failed = true;
  try {
    session = await sessions.acquire('local', dl);
    await writeMirror(session, table, node ?? null, stateMirror(state.state, state.since), dl);
    failed = false;
  } catch {
    // Best effort: the row stays as it was until the next change or stamp.
  } finally {
    if (session !== undefined) sessions.release('local', session, failed);
  }
}
