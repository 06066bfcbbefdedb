/**
 * Gathers what the decision needs from the local node and its peer. Every
 * step runs under a deadline; every session taken from the source is handed
 * back on every path (the caller hands back the local one it keeps for the
 * stamp, stamp.ts).
 */
import { CheckError, toCheckError } from '../core/errors';
import type { Deadline } from '../core/deadline';
import type { Endpoint, Session } from '../io/mysql';
import { ROLE_LABEL, type SessionSource } from './session-source';
import type { FactError, LocalFacts, PeerFacts } from '../core/decide';
import { peerAnswered } from '../core/peer-source';
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
  return err.serverErrno === undefined ? { code: err.code, message } : { code: err.code, message, errno: err.serverErrno };
}

export interface LocalGathered {
  facts: LocalFacts;
  /** Present when the heartbeat was read: the server's identity and the schema in use. */
  heartbeat?: HeartbeatRead;
  /** Still open when facts.ok, for the stamp; the caller releases it to the source. */
  session?: Session;
  /** The server's Uptime in seconds, when asked for (the failover state's evidence of a restart). */
  uptime?: number;
}

/** Every flavour answers this without a privilege; performance_schema may be off. */
const UPTIME_SQL = "SHOW GLOBAL STATUS LIKE 'Uptime'";

async function readUptime(session: Session, deadline: Deadline): Promise<number | undefined> {
  const rows = await session.query(UPTIME_SQL, [], deadline);
  const value = rows[0]?.['Value'] ?? rows[0]?.['VALUE'];
  const n = Number(value);
  return value === undefined || value === null || !Number.isFinite(n) ? undefined : n;
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
 * Whether a check reads the replica status: `required` when the verdict
 * depends on it (a failure is then row 1), `optional` when it does not but
 * people want to see it (a failure is then reported, not decided on: the
 * load balancer, which skips the read, gets the same verdict), `skip`.
 */
export type ReplicationRead = 'required' | 'optional' | 'skip';

/**
 * Local facts: the heartbeat and, as `wantReplication` says for the
 * heartbeat read, the replication channels. Any failure of a required step
 * is row 1 of the decision (the local node could not be checked). `label`
 * names the node in messages: `pool` gathers the peer's own facts this way.
 */
export async function gatherLocal(
  sessions: SessionSource,
  table: TableName,
  node: string | undefined,
  deadline: Deadline,
  wantReplication: (read: HeartbeatRead) => ReplicationRead,
  wantUptime = false,
  label: string = ROLE_LABEL.local,
): Promise<LocalGathered> {
  let session: Session | undefined;
  try {
    session = await sessions.acquire('local', deadline);
    const read = interpretHeartbeatRows(await session.query(readHeartbeatSql(table), [], deadline), node);
    const want = wantReplication(read);
    let channels: ReplicaChannel[] = [];
    let replicationError: FactError | undefined;
    if (want === 'required') channels = await readReplicaStatus(session, read.version, deadline);
    else if (want === 'optional') {
      try {
        channels = await readReplicaStatus(session, read.version, deadline);
      } catch (e) {
        const err = toCheckError(e);
        // A session cut off by its deadline or gone is no use for the stamp either.
        if (err.code === 'TIMEOUT' || err.code === 'CONNECTION_LOST') throw e;
        replicationError = factError(e, label);
      }
    }
    const uptime = wantUptime ? await readUptime(session, deadline) : undefined;
    const gathered: LocalGathered = {
      facts: { ok: true, heartbeat: read.heartbeat, channels, replicationError },
      heartbeat: read,
      session,
    };
    if (uptime !== undefined) gathered.uptime = uptime;
    return gathered;
  } catch (e) {
    if (session !== undefined) sessions.release('local', session, true);
    return { facts: { ok: false, error: factError(e, label) } };
  }
}

/**
 * The peer is fine when it completes a login (and, on a kept session, answers
 * a ping); when not, whether it answered at all decides between row 2 and
 * rows 3 to 7.
 */
export async function gatherPeer(sessions: SessionSource, endpoint: Endpoint | undefined, deadline: Deadline): Promise<PeerFacts> {
  if (endpoint === undefined) return { configured: false };
  let session: Session | undefined;
  let failed = true;
  try {
    session = await sessions.acquire('peer', deadline, endpoint);
    // A login that just completed is an answer: a ping after it costs a round trip and tells nothing more.
    if (sessions.freshLogins !== true) await session.ping(deadline);
    failed = false;
    return { configured: true, ok: true };
  } catch (e) {
    const error = factError(e, 'peer');
    return { configured: true, ok: false, reachable: peerAnswered(error), error };
  } finally {
    if (session !== undefined) sessions.release('peer', session, failed);
  }
}
