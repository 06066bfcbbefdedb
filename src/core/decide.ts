/**
 * The load-balancer decision (docs/design.md, "The load-balancer verdict"):
 * pure, no I/O. Rows are
 * evaluated top to bottom; the first that matches decides.
 */
import { isChannelRunning, type ReplicaChannel } from './replica-status';

export type Verdict = 'UP' | 'DOWN';

/** Every reason code, in the order of the decision table (the LB logs and HTTP bodies carry them). */
/** Decision row 1, split by what went wrong (localFailureReason). */
const LOCAL_FAILURES = [
  'local-unreachable',
  'local-auth-failed',
  'local-privilege-missing',
  'local-refused',
  'heartbeat-missing',
  'heartbeat-invalid',
] as const;

export const REASONS = [
  'maintenance',
  ...LOCAL_FAILURES,
  'peer-unreachable',
  'fresh',
  'not-a-replica',
  'replication-stopped',
  'caught-up',
  'catching-up',
  'heartbeat-write-failed',
  'error',
  // The failover state's own answers (failover-state.ts STATE_REASONS): held
  // UP while a DOWN condition lasts less than --down-after, held DOWN while
  // a good one lasts less than --up-after, latched until `recover`, and the
  // state file unusable.
  'holding-up',
  'holding-down',
  'awaiting-recover',
  'state-unreadable',
  'state-unwritable',
] as const;

export type Reason = (typeof REASONS)[number];

export interface Thresholds {
  /** Seconds a heartbeat stamp counts as fresh. */
  fresh: number;
  /** Seconds of replication lag still counted as caught up. */
  maxLag: number;
  /** Evaluate only this replication channel ('' is MariaDB's default connection). */
  channel?: string | undefined;
}

/**
 * - ok: a stamp was read; `age` is the server's UNIX_TIMESTAMP() minus the stamp.
 * - empty: no row for this node; null: the stamp is NULL; future: the stamp is
 *   ahead of the server's clock (the clock jumped back, or a peer's clock is
 *   ahead). All three count as stale: the cost is one replication check,
 *   while trusting a future stamp would say "fresh" for as long as the jump.
 */
export interface Heartbeat {
  state: 'ok' | 'empty' | 'null' | 'future';
  age: number | null;
}

export interface FactError {
  code: string;
  message: string;
  /** The server's error number, when the server sent an error packet. */
  errno?: number | undefined;
}

/**
 * `replicationError`: the replica status could not be read although the
 * heartbeat was fresh, so the verdict did not need it (the read-only modes
 * read it anyway); it becomes the verdict once the heartbeat is stale.
 */
export type LocalFacts =
  | { ok: true; heartbeat: Heartbeat; channels: ReplicaChannel[]; replicationError?: FactError | undefined }
  | { ok: false; error: FactError };

/**
 * - not configured (`unresolved`: --peer auto found no single replication
 *   source; `notAsked`: configured, but this probe did not need it, see
 *   ProbeOptions.skipPeerWhenFresh in src/probe/probe.ts);
 * - ok: it completed a login and answered a ping;
 * - not ok, `reachable` false: it cannot be reached at all (decision row 2);
 * - not ok, `reachable` true: it answered with a server error (a refused
 *   login, too many connections, a blocked host): alive, so row 2 does not apply.
 */
export type PeerFacts =
  | { configured: false; unresolved?: FactError | undefined; notAsked?: true | undefined }
  | { configured: true; ok: true }
  | { configured: true; ok: false; reachable: boolean; error: FactError };

export interface Facts {
  maintenance: boolean;
  local: LocalFacts;
  peer: PeerFacts;
}

export interface Decision {
  verdict: Verdict;
  reason: Reason;
  /** One line for logs and people: why. */
  detail: string;
  /** Whether an LB probe answering this verdict stamps the heartbeat. */
  stamp: boolean;
  /** The decision path, one entry per row looked at. */
  steps: string[];
  /**
   * Problems that did not decide this verdict but that an operator must see
   * (a peer refusing our login, a replica status that cannot be read while
   * the heartbeat is fresh): the log line, `status` and the plugin show them.
   */
  warnings: string[];
}

/**
 * Row 1 split by what went wrong, so the log, the HTTP body and Icinga send
 * an operator to the right place: a refused login is not a network problem.
 */
export function localFailureReason(code: string): Reason {
  switch (code) {
    case 'CONNECT_FAILED':
    case 'TIMEOUT':
    case 'CONNECTION_LOST':
      return 'local-unreachable';
    case 'AUTH_FAILED':
      return 'local-auth-failed';
    case 'PRIVILEGE':
      return 'local-privilege-missing';
    case 'NO_SUCH_TABLE':
      return 'heartbeat-missing';
    case 'BAD_HEARTBEAT_TABLE':
      return 'heartbeat-invalid';
    case 'INTERNAL':
      return 'error';
    default:
      return 'local-refused';
  }
}

/** The reasons of decision row 1: the local node itself could not be checked. */
export const LOCAL_FAILURE_REASONS: ReadonlySet<Reason> = new Set<Reason>(LOCAL_FAILURES);

export function isStale(heartbeat: Heartbeat, fresh: number): boolean {
  return heartbeat.state !== 'ok' || heartbeat.age === null || heartbeat.age > fresh;
}

export function describeHeartbeat(h: Heartbeat): string {
  switch (h.state) {
    case 'ok':
      return `heartbeat age ${h.age} s`;
    case 'empty':
      return 'no heartbeat row';
    case 'null':
      return 'heartbeat stamp is NULL';
    case 'future':
      return `heartbeat stamp ${h.age === null ? '' : `${-h.age} s `}in the future`;
  }
}

export function describeChannel(c: ReplicaChannel): string {
  const name = c.name === '' ? 'default channel' : `channel '${c.name}'`;
  const lag = c.lag === null ? 'lag unknown' : `lag ${c.lag} s`;
  let text = `${name}: IO ${c.ioRunning}, SQL ${c.sqlRunning}, ${lag}`;
  if (c.lastIoErrno !== 0) text += `, last IO error ${c.lastIoErrno}`;
  if (c.lastSqlErrno !== 0) text += `, last SQL error ${c.lastSqlErrno}`;
  return text;
}

/** The channels the decision looks at: all, or the one named by --channel. */
export function selectChannels(channels: readonly ReplicaChannel[], channel: string | undefined): ReplicaChannel[] {
  if (channel === undefined) return [...channels];
  return channels.filter((c) => c.name === channel);
}

export function decide(facts: Facts, t: Thresholds): Decision {
  const steps: string[] = [];
  const warnings: string[] = [];
  const result = (verdict: Verdict, reason: Reason, detail: string, stamp: boolean): Decision => {
    steps.push(`=> ${verdict} (${reason})`);
    return { verdict, reason, detail, stamp, steps, warnings };
  };

  // Row 0
  if (facts.maintenance) {
    steps.push('maintenance file present');
    return result('DOWN', 'maintenance', 'maintenance file present', false);
  }

  // Row 1
  const local = facts.local;
  if (!local.ok) {
    steps.push(local.error.message);
    return result('DOWN', localFailureReason(local.error.code), local.error.message, false);
  }
  steps.push(`local server reachable, ${describeHeartbeat(local.heartbeat)}`);

  // Row 2: the peer is down, so this node is the only one left to take traffic,
  // whatever its replication says. It stamps: otherwise, after a long peer
  // outage, this node's own stamp is stale when the peer returns, replication
  // is still "Connecting" (lag NULL), and the original script handed traffic
  // to the peer that had just come back, behind.
  // Only a peer that cannot be reached at all counts: one that answers with
  // an error (a wrong peer-password, too many connections) is alive, and
  // taking it for dead would answer UP and stamp, which makes every later
  // probe find a fresh heartbeat: a credentials typo would switch off the
  // catch-up check for good.
  const peer = facts.peer;
  if (peer.configured && !peer.ok) {
    if (!peer.reachable) {
      steps.push(`peer unreachable: ${peer.error.message}`);
      return result('UP', 'peer-unreachable', `peer unreachable (${peer.error.code})`, true);
    }
    steps.push(`peer refused: ${peer.error.message}: alive, so decided as a reachable peer`);
    warnings.push(`peer refused: ${peer.error.message}`);
  } else if (peer.configured) {
    steps.push('peer reachable');
  } else if (peer.unresolved !== undefined) {
    steps.push(`no peer: ${peer.unresolved.message}`);
    warnings.push(peer.unresolved.message);
  } else if (peer.notAsked === true) {
    steps.push('peer not asked: the heartbeat decides');
  } else {
    steps.push('no peer configured');
  }

  // Row 3
  if (!isStale(local.heartbeat, t.fresh)) {
    steps.push(`heartbeat fresh (age ${local.heartbeat.age} s <= ${t.fresh} s)`);
    if (local.replicationError !== undefined) {
      warnings.push(
        `the replica status cannot be read (${local.replicationError.message}): ` +
          'this node will answer DOWN once its heartbeat is stale',
      );
    }
    return result('UP', 'fresh', `heartbeat age ${local.heartbeat.age} s <= ${t.fresh} s`, true);
  }
  steps.push(`heartbeat stale (${describeHeartbeat(local.heartbeat)}, fresh is ${t.fresh} s): checking replication`);

  // Row 4
  const channels = selectChannels(local.channels, t.channel);
  if (channels.length === 0) {
    const what = t.channel === undefined ? 'no replication configured' : `replication channel '${t.channel}' not configured`;
    steps.push(what);
    return result('DOWN', 'not-a-replica', what, false);
  }
  for (const c of channels) steps.push(describeChannel(c));

  // Row 5
  const stopped = channels.filter((c) => !isChannelRunning(c));
  const firstStopped = stopped[0];
  if (firstStopped !== undefined) {
    return result('DOWN', 'replication-stopped', describeChannel(firstStopped), false);
  }

  // Rows 6 and 7
  const behind = channels.filter((c) => c.lag !== null && c.lag > t.maxLag);
  const worst = behind.reduce<ReplicaChannel | undefined>((w, c) => (w === undefined || (c.lag ?? 0) > (w.lag ?? 0) ? c : w), undefined);
  if (worst === undefined) {
    const maxLag = Math.max(...channels.map((c) => c.lag ?? 0));
    return result('UP', 'caught-up', `replication caught up (lag ${maxLag} s <= ${t.maxLag} s)`, true);
  }
  return result('DOWN', 'catching-up', `${describeChannel(worst)} > ${t.maxLag} s`, false);
}

/** An UP verdict whose heartbeat stamp failed turns DOWN: the LB must not trust a node it cannot record. */
export function afterStampFailure(decision: Decision, error: FactError): Decision {
  return {
    verdict: 'DOWN',
    reason: 'heartbeat-write-failed',
    detail: `heartbeat write failed: ${error.message}`,
    stamp: false,
    steps: [...decision.steps, `heartbeat write failed: ${error.message}`, '=> DOWN (heartbeat-write-failed)'],
    warnings: decision.warnings,
  };
}

/**
 * The decision the load balancer is told once a failover state in `state`
 * answered `answer` for the raw decision (src/core/failover-state.ts
 * evaluate): the raw one itself when the state changed nothing.
 */
export function withStateAnswer(raw: Decision, answer: { verdict: Verdict; reason: string; detail: string }, state: string): Decision {
  if (answer.verdict === raw.verdict && answer.reason === raw.reason && answer.detail === raw.detail) return raw;
  return {
    verdict: answer.verdict,
    reason: answer.reason as Reason,
    detail: answer.detail,
    stamp: answer.verdict === 'UP' && raw.stamp,
    steps: [...raw.steps, `failover state ${state}: ${answer.detail}`, `=> ${answer.verdict} (${answer.reason})`],
    warnings: raw.warnings,
  };
}

/** Anything unexpected (bad configuration, an exception) is a DOWN verdict, never a crash. */
export function errorDecision(error: FactError): Decision {
  return {
    verdict: 'DOWN',
    reason: 'error',
    detail: error.message,
    stamp: false,
    steps: [`error: ${error.message}`, '=> DOWN (error)'],
    warnings: [],
  };
}
