/**
 * The pair seen whole (`mysql-failover-check pool`, `check_mysql_failover
 * --pool`; docs/pool.md), pure: how a node answered the login, a node's
 * answer through the failover state its heartbeat row mirrors, what the
 * replication topology says, and the summary an operator reads first.
 */
import { withStateAnswer, type Decision, type FactError, type PeerFacts } from './decide';
import { evaluate, freshState, STATE_NAMES, type FailoverPolicy, type FailoverState, type StateName } from './failover-state';
import type { StateMirror } from './heartbeat';
import { isChannelRunning, type ReplicaChannel } from './replica-status';
import { peerAnswered } from './peer-source';

export type PoolRole = 'local' | 'peer';

/** How a node answered: logged in, refused with a server error, not at all, not within the deadline, or not known where it is. */
export type Connection = 'ok' | 'refused' | 'unreachable' | 'no-answer' | 'unknown';

/** The code of a peer that --peer auto could not find (src/core/peer-source.ts). */
const UNRESOLVED = 'PEER_UNRESOLVED';

/** The login's outcome as a Connection; `error` undefined: it logged in. */
export function connectionOf(error: FactError | undefined): Connection {
  if (error === undefined) return 'ok';
  if (error.code === UNRESOLVED) return 'unknown';
  if (error.code === 'TIMEOUT') return 'no-answer';
  return peerAnswered(error) ? 'refused' : 'unreachable';
}

/** A server answered (logged in, or refused us with an error packet): alive, as decision row 2 has it. */
export function isReachable(c: Connection): boolean {
  return c === 'ok' || c === 'refused';
}

/**
 * The other node's login as this node's peer facts: what this node's own
 * load-balancer probe would find, as far as pool can tell from here.
 */
export function peerFactsOf(login: FactError | undefined): PeerFacts {
  if (login === undefined) return { configured: true, ok: true };
  if (login.code === UNRESOLVED) return { configured: false, unresolved: login };
  return { configured: true, ok: false, reachable: peerAnswered(login), error: login };
}

/** What pool knows of a node's failover state, and from where. */
export type PoolState =
  { kind: 'known'; name: StateName; since: number; source: 'state-file' | 'heartbeat-row' } | { kind: 'none' | 'unknown'; why: string };

function isStateName(text: string): text is StateName {
  return (STATE_NAMES as readonly string[]).includes(text);
}

/**
 * A heartbeat row's mirror as pool reports it: undefined (the table has no
 * state column, the one-row table) is unknown; NULL is a node that keeps no
 * failover state.
 */
export function stateOfMirror(mirror: StateMirror | undefined): PoolState {
  if (mirror === undefined) return { kind: 'unknown', why: 'the heartbeat table has no state column (`setup` adds it to a keyed table)' };
  if (mirror.state === null) return { kind: 'none', why: 'its heartbeat row holds no failover state: it keeps none' };
  if (!isStateName(mirror.state) || mirror.since === null) {
    return { kind: 'unknown', why: `its heartbeat row says state ${JSON.stringify(mirror.state)}, since ${mirror.since ?? 'NULL'}` };
  }
  return { kind: 'known', name: mirror.state, since: mirror.since * 1000, source: 'heartbeat-row' };
}

/**
 * The failover state a mirror stands for: its name and start; nothing else
 * is known, so it counts as seen by one check, and a `failed` node's latch
 * dates from its start.
 */
export function stateFromMirror(name: StateName, since: number): FailoverState {
  return {
    ...freshState(since),
    state: name,
    evaluations: 1,
    verdict: name === 'up' || name === 'failing' ? 'UP' : 'DOWN',
    latch: name === 'failed' ? { at: since, reason: 'failed', evidence: 'as its heartbeat row says' } : undefined,
  };
}

/**
 * What a node whose failover state pool reads from its heartbeat row would
 * answer now: the decision table's verdict for what pool sees, through the
 * state machine from that state, under `policy` (pool's own failover
 * options: a pair is configured alike).
 */
export function answerThroughMirror(
  raw: Decision,
  state: { name: StateName; since: number },
  policy: FailoverPolicy,
  now: number,
): Decision {
  const step = evaluate(
    stateFromMirror(state.name, state.since),
    {
      at: now,
      raw: { verdict: raw.verdict, reason: raw.reason, detail: raw.detail },
      maintenance: raw.reason === 'maintenance',
      peerUnreachable: raw.reason === 'peer-unreachable',
      actor: 'probe',
    },
    policy,
  );
  return withStateAnswer(raw, step.answer, step.state.state);
}

/** One node as the summary judges it. */
export interface PoolMember {
  role: PoolRole;
  address: string;
  connection: Connection;
  decision: Decision;
  /** Known once its heartbeat was read. */
  serverId?: number | undefined;
  /** Its replication channels; undefined when they could not be read. */
  channels?: readonly ReplicaChannel[] | undefined;
}

export const FLAG_CODES = ['no-traffic', 'foreign-source', 'peer-not-source', 'replication-stopped'] as const;
export type FlagCode = (typeof FLAG_CODES)[number];

/** What an operator must see first, in this order: nobody serving, then the topology, then stopped replication. */
export interface PoolFlag {
  code: FlagCode;
  message: string;
}

export interface PoolSummary {
  /** How many nodes would take traffic now. */
  up: number;
  pool: 'both' | 'one' | 'none';
  /** The summary line. */
  text: string;
  flags: PoolFlag[];
}

const NODE: Readonly<Record<PoolRole, string>> = { local: 'the local node', peer: 'the peer' };

function channelName(c: ReplicaChannel): string {
  return c.name === '' ? 'its default channel' : `its channel '${c.name}'`;
}

function sourceOf(c: ReplicaChannel): string {
  const host = c.sourceHost ?? '?';
  return `${host.includes(':') ? `[${host}]` : host}:${c.sourcePort ?? '?'}`;
}

/**
 * A channel whose source is known by server_id to be another server than
 * the other node: the two nodes replicate from something other than each
 * other. Addresses are not compared here: a node's source is written as
 * that node reaches it, which pool may not (docs/pool.md).
 */
export function foreignSources(node: PoolMember, other: PoolMember): PoolFlag[] {
  if (other.serverId === undefined) return [];
  return (node.channels ?? [])
    .filter((c) => c.sourceServerId !== null && c.sourceServerId !== other.serverId)
    .map((c) => ({
      code: 'foreign-source' as const,
      message:
        `${NODE[node.role]} replicates from server_id ${c.sourceServerId} (${sourceOf(c)}, ${channelName(c)}), ` +
        `not from ${NODE[other.role]} (server_id ${other.serverId})`,
    }));
}

/**
 * Whether the local node replicates from the peer, by server_id: true when
 * a channel's source is the peer's server_id, false when every channel's
 * source is known and none is, undefined when that cannot be told.
 */
export function peerIsSourceById(channels: readonly ReplicaChannel[], peerServerId: number | undefined): boolean | undefined {
  if (channels.length === 0 || peerServerId === undefined) return undefined;
  if (channels.some((c) => c.sourceServerId === peerServerId)) return true;
  return channels.every((c) => c.sourceServerId !== null) ? false : undefined;
}

/**
 * Channels stopped on a node that was read, except a replica I/O thread
 * that cannot reach the other node because that node is gone (the other
 * node's row says so already): the data of the pair is drifting apart.
 */
export function stoppedChannels(node: PoolMember, other: PoolMember): PoolFlag[] {
  const otherGone = !isReachable(other.connection) && other.connection !== 'unknown';
  return (node.channels ?? [])
    .filter((c) => !isChannelRunning(c) && !(otherGone && c.sqlRunning === 'Yes'))
    .map((c) => ({
      code: 'replication-stopped' as const,
      message:
        `${NODE[node.role]}: replication stopped on ${channelName(c)} from ${sourceOf(c)}: IO ${c.ioRunning}, SQL ${c.sqlRunning}` +
        `${c.lastIoErrno !== 0 ? `, last IO error ${c.lastIoErrno}` : ''}${c.lastSqlErrno !== 0 ? `, last SQL error ${c.lastSqlErrno}` : ''}`,
    }));
}

function describeMember(m: PoolMember): string {
  return `${NODE[m.role]} (${m.address})`;
}

/**
 * The summary line and the flags. `peerNotSource`: the local node's
 * replication source is not --peer (told by server_id, or by address where
 * the ids are not known), undefined when it is or cannot be told.
 */
export function summarise(local: PoolMember, peer: PoolMember, peerNotSource: string | undefined): PoolSummary {
  const serving = [local, peer].filter((m) => m.decision.verdict === 'UP');
  const flags: PoolFlag[] = [];
  let text: string;
  let pool: PoolSummary['pool'];
  if (serving.length === 2) {
    pool = 'both';
    text = 'both nodes would take traffic';
  } else if (serving.length === 1) {
    pool = 'one';
    const down = serving[0] === local ? peer : local;
    text =
      `only ${describeMember(serving[0] as PoolMember)} would take traffic: no redundancy ` +
      `(${NODE[down.role]}: ${down.decision.verdict} ${down.decision.reason})`;
  } else {
    pool = 'none';
    text = 'no node would take traffic';
    flags.push({
      code: 'no-traffic',
      message: `no node would take traffic: local ${local.decision.reason}, peer ${peer.decision.reason}`,
    });
  }
  flags.push(...foreignSources(local, peer), ...foreignSources(peer, local));
  if (peerNotSource !== undefined) flags.push({ code: 'peer-not-source', message: peerNotSource });
  flags.push(...stoppedChannels(local, peer), ...stoppedChannels(peer, local));
  return { up: serving.length, pool, text, flags };
}
