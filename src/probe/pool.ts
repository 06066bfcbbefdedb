/**
 * `pool` (docs/pool.md): both nodes of the pair, each judged with the other
 * as its peer. The local node is probed exactly as `status` probes it (its
 * state file read, never written; the stamp tried and rolled back); the peer
 * is read as its own probe would read itself (its heartbeat row, its
 * replica status) with the peer credentials, and judged by the same
 * decision table through the failover state its heartbeat row mirrors.
 * Read-only: nothing is stamped, no state file written, no binlog event.
 *
 * Both nodes are asked at once and every step is bounded, so the answer
 * comes within --timeout even when one node is frozen: that node's row
 * then says it did not answer.
 */
import { CheckError } from '../core/errors';
import { Deadline } from '../core/deadline';
import { decide, isStale, type Decision, type FactError, type LocalFacts } from '../core/decide';
import { DEFAULT_POLICY } from '../core/failover-state';
import type { HeartbeatRead, TableName } from '../core/heartbeat';
import { describeSources } from '../core/peer-source';
import {
  answerThroughMirror,
  connectionOf,
  peerFactsOf,
  peerIsSourceById,
  stateOfMirror,
  summarise,
  type Connection,
  type PoolMember,
  type PoolRole,
  type PoolState,
  type PoolSummary,
} from '../core/pool';
import type { CheckSettings } from '../config/settings';
import { connect, describeEndpoint, type Endpoint } from '../io/mysql';
import { factError, gatherLocal, type LocalGathered, type ReplicationRead } from './facts';
import { autoPeer, peerSourceWarning } from './peer-target';
import { ANSWER_MARGIN_MS, probe, type ProbeResult } from './probe';
import { perCheckSessions, ROLE_LABEL, type NodeRole, type SessionSource } from './session-source';

export interface PoolOptions {
  /** The peer's row of a keyed heartbeat table (--peer-node); default: the peer's server_id. */
  peerNode?: string | undefined;
  /** When the process started: --timeout counts from there. */
  startedAt?: number | undefined;
}

/** One node of the pair as pool saw it. */
export interface PoolNode {
  role: PoolRole;
  /** Where pool reaches it (`HOST:PORT`, `socket PATH`), or `auto` when --peer auto found none. */
  address: string;
  connection: Connection;
  /** Why it could not be checked: its login (connection not 'ok'), or a later step. */
  error: FactError | undefined;
  /** Its identity, read_only, heartbeat row and mirror; undefined when not read. */
  heartbeat: HeartbeatRead | undefined;
  /** Its own facts as its own probe would gather them; undefined when not asked at all. */
  facts: LocalFacts | undefined;
  state: PoolState;
  /** What its load balancer would be told now. */
  decision: Decision;
  /** The decision table's own verdict. */
  raw: Decision;
  /** In maintenance: what it would answer once undrained. */
  wouldBe: Decision | undefined;
  /** About its state file (the local node only). */
  notes: string[];
}

export interface PoolResult {
  local: PoolNode;
  peer: PoolNode;
  summary: PoolSummary;
  table: TableName;
  timeoutMs: number;
  elapsedMs: number;
}

/** Kept back after the peer's own deadline for the guard, so its own (more telling) timeout error wins. */
const GUARD_SLACK_MS = 40;

/** A login that did not settle in time. */
function noAnswer(label: string): FactError {
  return { code: 'TIMEOUT', message: `${label}: no answer within --timeout` };
}

/** What a session source saw of one node's login: undefined until it settles, null when it logged in. */
interface LoginRecord {
  outcome?: FactError | null;
}

function loginError(record: LoginRecord, label: string): FactError | undefined {
  if (record.outcome === undefined) return noAnswer(label);
  return record.outcome ?? undefined;
}

/** `inner`, noting how the login of `role` went. */
function recordingLogin(inner: SessionSource, role: NodeRole, record: LoginRecord): SessionSource {
  return {
    async acquire(r, deadline, endpoint) {
      try {
        const session = await inner.acquire(r, deadline, endpoint);
        if (r === role) record.outcome = null;
        return session;
      } catch (e) {
        if (r === role) record.outcome = factError(e, ROLE_LABEL[role]);
        throw e;
      }
    },
    release: (r, session, failed) => inner.release(r, session, failed),
  };
}

interface PeerRead {
  endpoint: Endpoint | undefined;
  gathered: LocalGathered;
  login: FactError | undefined;
}

/**
 * The peer's own facts, gathered as its own probe gathers them (its row,
 * its channels, with the peer credentials), never stamped nor tried: pool
 * needs only read grants there. Settles by `deadline` whatever the server does.
 */
async function readPeer(endpoint: Endpoint, s: CheckSettings, node: string | undefined, deadline: Deadline): Promise<PeerRead> {
  const record: LoginRecord = {};
  const source = recordingLogin(
    {
      acquire: (_role, dl) => connect(endpoint, dl, ROLE_LABEL.peer),
      release: (_role, session) => session.close(),
    },
    'local',
    record,
  );
  const want = (read: HeartbeatRead): ReplicationRead => (isStale(read.heartbeat, s.thresholds.fresh) ? 'required' : 'optional');
  const gathering = gatherLocal(source, s.table, node, deadline, want, false, ROLE_LABEL.peer);
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), deadline.remaining() + GUARD_SLACK_MS);
  });
  try {
    const first = await Promise.race([gathering, guard]);
    if (first === 'timeout') {
      // A step ignored its deadline: its session, if one ever comes, is closed unused.
      void gathering.then((g) => g.session?.close());
      return { endpoint, gathered: { facts: { ok: false, error: noAnswer(ROLE_LABEL.peer) } }, login: loginError(record, ROLE_LABEL.peer) };
    }
    if (first.session !== undefined) first.session.close();
    return { endpoint, gathered: first, login: loginError(record, ROLE_LABEL.peer) };
  } finally {
    clearTimeout(timer);
  }
}

function unresolvedPeer(why: FactError): PeerRead {
  return { endpoint: undefined, gathered: { facts: { ok: false, error: why } }, login: why };
}

function stateNotRead(): PoolState {
  return { kind: 'unknown', why: 'its heartbeat row could not be read' };
}

/** The local node: as `status` judges it; its failover state from its state file, else from its heartbeat row. */
function localNode(s: CheckSettings, r: ProbeResult, login: FactError | undefined, now: number): PoolNode {
  const facts = r.facts?.local;
  const error = r.timedOut ? noAnswer(ROLE_LABEL.local) : facts !== undefined && !facts.ok ? facts.error : undefined;
  const notes = r.failover?.notes ?? [];
  let state: PoolState;
  let decision = r.decision;
  if (s.failover !== undefined) {
    const st = r.failover?.state;
    state =
      st === undefined
        ? { kind: 'unknown', why: `its state file ${s.failover.stateFile} could not be used` }
        : { kind: 'known', name: st.state, since: st.since, source: 'state-file' };
  } else {
    state = r.heartbeat === undefined ? stateNotRead() : stateOfMirror(r.heartbeat.mirror);
    if (state.kind === 'known') decision = answerThroughMirror(r.decision, state, DEFAULT_POLICY, now);
  }
  return {
    role: 'local',
    address: describeEndpoint(s.local),
    connection: connectionOf(login),
    error,
    heartbeat: r.heartbeat,
    facts,
    state,
    decision,
    raw: r.raw,
    wouldBe: r.wouldBe,
    notes,
  };
}

/**
 * The peer: the decision table for its own facts with the local node as its
 * peer, through the failover state its heartbeat row mirrors (its
 * maintenance file is on its own host: the mirror is the only sign of it).
 */
function peerNode(s: CheckSettings, read: PeerRead, localLogin: FactError | undefined, now: number): PoolNode {
  const { gathered } = read;
  const heartbeat = gathered.heartbeat;
  const facts = { maintenance: false, local: gathered.facts, peer: peerFactsOf(localLogin) };
  let raw = decide(facts, s.thresholds);
  if (heartbeat?.readOnly === true && raw.stamp) {
    raw.warnings.push(
      'read_only is ON there: its own stamp fails unless its monitor account may write anyway (READ ONLY ADMIN or SUPER); pool does not try it',
    );
  }
  const state = heartbeat === undefined ? stateNotRead() : stateOfMirror(heartbeat.mirror);
  const policy = s.failover?.policy ?? DEFAULT_POLICY;
  let decision = raw;
  let wouldBe: Decision | undefined;
  if (state.kind === 'known') {
    if (state.name === 'maintenance') {
      wouldBe = raw;
      raw = decide({ ...facts, maintenance: true }, s.thresholds);
    }
    decision = answerThroughMirror(raw, state, policy, now);
  }
  return {
    role: 'peer',
    address: read.endpoint === undefined ? 'auto' : describeEndpoint(read.endpoint),
    connection: connectionOf(read.login),
    error: gathered.facts.ok ? undefined : gathered.facts.error,
    heartbeat,
    facts: read.endpoint === undefined ? undefined : gathered.facts,
    state,
    decision,
    raw,
    wouldBe,
    notes: [],
  };
}

export function poolMember(n: PoolNode): PoolMember {
  return {
    role: n.role,
    address: n.address,
    connection: n.connection,
    decision: n.decision,
    serverId: n.heartbeat?.serverId,
    channels: n.facts?.ok === true && n.facts.replicationError === undefined ? n.facts.channels : undefined,
  };
}

/** Whether the local node replicates from --peer: by server_id where known, else by address; the text of the flag when not. */
async function peerNotSource(s: CheckSettings, local: PoolNode, peer: PoolNode, deadline: Deadline): Promise<string | undefined> {
  const channels = poolMember(local).channels;
  if (s.peer === undefined || channels === undefined || channels.length === 0) return undefined;
  const peerId = peer.heartbeat?.serverId;
  const byId = peerIsSourceById(channels, peerId);
  if (byId === false) {
    return `--peer ${describeEndpoint(s.peer)} (server_id ${peerId}) is not the local node's replication source (${describeSources(channels)})`;
  }
  if (byId === true || s.peer.host === undefined) return undefined;
  return peerSourceWarning({ host: s.peer.host, port: s.peer.port ?? 3306 }, channels, deadline);
}

/** Both nodes, side by side; never rejects for a server's sake (each failure is that node's row). */
export async function checkPool(s: CheckSettings, opts: PoolOptions = {}): Promise<PoolResult> {
  const startedAt = opts.startedAt ?? Date.now();
  if (s.peer === undefined && s.peerAuto === undefined) {
    throw new CheckError('USAGE', 'pool needs the other node: --peer HOST[:PORT], --peer-socket PATH or --peer auto');
  }
  const deadline = new Deadline(startedAt + s.timeoutMs - ANSWER_MARGIN_MS);
  const record: LoginRecord = {};
  const sessions = recordingLogin(perCheckSessions(s), 'local', record);
  const localRun = probe(
    s,
    {
      stamp: false,
      trialStamp: true,
      alwaysReadReplication: true,
      sessions,
      failover: { mode: 'read', actor: 'probe' },
      peerSourceCheck: false,
    },
    startedAt,
  );
  const peerRun = s.peer === undefined ? undefined : readPeer(s.peer, s, opts.peerNode, deadline);
  const localResult = await localRun;
  let peerRead: PeerRead;
  if (peerRun !== undefined) peerRead = await peerRun;
  else {
    // --peer auto: the local node's replication source, known once the local node was read.
    const target = autoPeer(s, { facts: localResult.facts?.local ?? { ok: false, error: noAnswer(ROLE_LABEL.local) } });
    peerRead = 'code' in target ? unresolvedPeer(target) : await readPeer(target, s, opts.peerNode, deadline);
  }
  const localLogin = loginError(record, ROLE_LABEL.local);
  const now = Date.now();
  const local = localNode(s, localResult, localLogin, now);
  const peer = peerNode(s, peerRead, localLogin, now);
  const notSource = await peerNotSource(s, local, peer, deadline);
  return {
    local,
    peer,
    summary: summarise(poolMember(local), poolMember(peer), notSource),
    table: s.table,
    timeoutMs: s.timeoutMs,
    elapsedMs: Date.now() - startedAt,
  };
}
