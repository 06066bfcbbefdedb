/**
 * Gathers what the decision needs from the local node and its peer. Every
 * step runs under a deadline; every session taken from the source is handed
 * back on every path (the caller hands back the local one it keeps for the
 * stamp, stamp.ts).
 */
import { CheckError, toCheckError } from '../core/errors';
import type { Deadline } from '../core/deadline';
import type { Session } from '../io/mysql';
import type { SessionSource } from './session-source';
import type { FactError, LocalFacts, PeerFacts } from '../core/decide';
import { interpretHeartbeatRows, readHeartbeatSql, type HeartbeatRead, type TableName } from '../core/heartbeat';
import { normaliseReplicaRows, replicaStatusStatements, type ReplicaChannel } from '../core/replica-status';

/**
 * A fact's error for the decision. Errors from src/io/mysql.ts already name the role
 * ("local server: connect: ..."); the others (a heartbeat table of the wrong
 * shape) get it here, so every message says which node it is about.
 */
export function factError(e: unknown, role?: string): FactError {
  const err = toCheckError(e);
  const message = role === undefined || err.message.startsWith(`${role}:`) ? err.message : `${role}: ${err.message}`;
  return { code: err.code, message };
}

export interface LocalGathered {
  facts: LocalFacts;
  /** Present when the heartbeat was read: the server's identity and the schema in use. */
  heartbeat?: HeartbeatRead;
  /** Still open when facts.ok, for the stamp; the caller releases it to the source. */
  session?: Session;
}

async function readReplicaStatus(session: Session, version: string, deadline: Deadline): Promise<ReplicaChannel[]> {
  const statements = replicaStatusStatements(version);
  let lastError: unknown;
  for (const sql of statements) {
    try {
      return normaliseReplicaRows(await session.query(sql, [], deadline));
    } catch (e) {
      // Only a statement the server does not know moves on to the older spelling.
      if (e instanceof CheckError && e.code === 'QUERY_FAILED' && e.serverErrno === 1064) {
        lastError = e;
        continue;
      }
      throw e;
    }
  }
  throw lastError ?? new CheckError('INTERNAL', 'no replica status statement to try');
}

/**
 * Local facts: the heartbeat and, when `wantReplication` says so for the
 * heartbeat read, the replication channels. Any failure here is row 1 of the
 * decision (local unreachable).
 */
export async function gatherLocal(
  sessions: SessionSource,
  table: TableName,
  node: string | undefined,
  deadline: Deadline,
  wantReplication: (read: HeartbeatRead) => boolean,
): Promise<LocalGathered> {
  let session: Session | undefined;
  try {
    session = await sessions.acquire('local', deadline);
    const read = interpretHeartbeatRows(await session.query(readHeartbeatSql(table), [], deadline), node);
    const channels = wantReplication(read) ? await readReplicaStatus(session, read.version, deadline) : [];
    return { facts: { ok: true, heartbeat: read.heartbeat, channels }, heartbeat: read, session };
  } catch (e) {
    if (session !== undefined) sessions.release('local', session, true);
    return { facts: { ok: false, error: factError(e, 'local server') } };
  }
}

/** The peer is reachable when it completes a handshake and answers a ping. */
export async function gatherPeer(sessions: SessionSource, configured: boolean, deadline: Deadline): Promise<PeerFacts> {
  if (!configured) return { configured: false };
  let session: Session | undefined;
  let failed = true;
  try {
    session = await sessions.acquire('peer', deadline);
    await session.ping(deadline);
    failed = false;
    return { configured: true, ok: true };
  } catch (e) {
    return { configured: true, ok: false, error: factError(e, 'peer') };
  } finally {
    if (session !== undefined) sessions.release('peer', session, failed);
  }
}
