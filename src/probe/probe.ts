/**
 * One probe of this node, the pipeline every executable and the resident
 * engine run: the maintenance file, facts from both nodes in parallel, the
 * decision (src/core/decide.ts), and, for load-balancer probes, the heartbeat
 * stamp. All of it under one hard deadline that counts from the start of the
 * process, so Node's own start-up is inside --timeout too. Every failure of
 * a server or a step is a decision (the fail-safe one), not a rejection.
 */
import { Deadline } from '../core/deadline';
import { afterStampFailure, decide, errorDecision, isStale, type Decision, type Facts, type PeerFacts } from '../core/decide';
import type { HeartbeatRead } from '../core/heartbeat';
import type { CheckSettings } from '../config/settings';
import { factError, gatherLocal, gatherPeer, type LocalGathered } from './facts';
import { autoPeer, peerSourceWarning } from './peer-target';
import { inMaintenance, maintenanceFacts } from './maintenance';
import { perCheckSessions, type SessionSource } from './session-source';
import { stampHeartbeat, trialStamp } from './stamp';

export interface ProbeOptions {
  /** Stamp the heartbeat when the verdict says so (LB modes); never for monitoring. */
  stamp: boolean;
  /**
   * When not stamping: try the stamp and roll it back (stamp.ts trialStamp),
   * so a verdict the LB would turn into heartbeat-write-failed is reported as such.
   */
  trialStamp?: boolean;
  /** Read replication status even when the heartbeat is fresh (monitoring, people). */
  alwaysReadReplication: boolean;
  /** Where the sessions come from (default: a fresh one per probe, closed afterwards). */
  sessions?: SessionSource | undefined;
}

/**
 * What one probe found. When the hard deadline fired (`timedOut`), only the
 * decision (DOWN `error`, TIMEOUT) and the time taken are known.
 */
export interface ProbeResult {
  decision: Decision;
  facts: Facts | undefined;
  heartbeat: HeartbeatRead | undefined;
  stamped: boolean;
  /** From the start of the probe; when timed out, from `startedAt`. */
  elapsedMs: number;
  timedOut: boolean;
}

/**
 * The peer gets at most this share of the deadline, so a hung peer cannot
 * eat the time the local node needs to answer and stamp: a healthy master
 * whose peer hangs must still say UP.
 */
export const PEER_SHARE = 0.5;

/** Kept back from the timeout for printing the answer after the probe gives up. */
export const ANSWER_MARGIN_MS = 100;
/** The guard fires this long after the probe's own deadline, so a step's own (more telling) timeout error wins. */
const GUARD_SLACK_MS = 40;

/** Probes, settling within `settings.timeoutMs` of `startedAt` (when the process started, for the executables). */
export async function probe(settings: CheckSettings, opts: ProbeOptions, startedAt: number = Date.now()): Promise<ProbeResult> {
  const deadline = new Deadline(startedAt + settings.timeoutMs - ANSWER_MARGIN_MS);
  let timer: NodeJS.Timeout | undefined;
  // The last line of defence: should any step ignore its deadline, the answer still goes out in time.
  const guard = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          decision: errorDecision({ code: 'TIMEOUT', message: 'check did not finish within --timeout' }),
          facts: undefined,
          heartbeat: undefined,
          stamped: false,
          elapsedMs: Date.now() - startedAt,
          timedOut: true,
        }),
      Math.max(0, deadline.remaining()) + GUARD_SLACK_MS,
    );
  });
  try {
    return await Promise.race([probeWithin(settings, opts, deadline), guard]);
  } finally {
    clearTimeout(timer);
  }
}

/** The probe's steps, each bounded by `deadline`. */
async function probeWithin(s: CheckSettings, opts: ProbeOptions, deadline: Deadline): Promise<ProbeResult> {
  const started = Date.now();
  const done = (decision: Decision, facts?: Facts, heartbeat?: HeartbeatRead, stamped = false): ProbeResult => ({
    decision,
    facts,
    heartbeat,
    stamped,
    elapsedMs: Date.now() - started,
    timedOut: false,
  });

  if (inMaintenance(s)) {
    const facts = maintenanceFacts();
    return done(decide(facts, s.thresholds), facts);
  }

  const sessions = opts.sessions ?? perCheckSessions(s);
  const peerDeadline = deadline.within(Math.max(1, Math.floor(s.timeoutMs * PEER_SHARE)));
  const localPromise = gatherLocal(sessions, s.table, s.node, deadline, (read) => {
    if (isStale(read.heartbeat, s.thresholds.fresh)) return 'required';
    return opts.alwaysReadReplication || s.peerAuto !== undefined ? 'optional' : 'skip';
  });
  let local: LocalGathered;
  let peer: PeerFacts;
  if (s.peerAuto === undefined) {
    [local, peer] = await Promise.all([localPromise, gatherPeer(sessions, s.peer, peerDeadline)]);
  } else {
    // The peer's address comes from the replica status, so it is asked after the local node.
    local = await localPromise;
    const target = autoPeer(s, local);
    peer = 'code' in target ? { configured: false, unresolved: target } : await gatherPeer(sessions, target, peerDeadline);
  }
  const facts: Facts = { maintenance: false, local: local.facts, peer };
  let decision = decide(facts, s.thresholds);
  if (s.peer?.host !== undefined && local.facts.ok) {
    const warning = await peerSourceWarning({ host: s.peer.host, port: s.peer.port ?? 3306 }, local.facts.channels, deadline);
    if (warning !== undefined) decision.warnings.push(warning);
  }

  let stamped = false;
  let stampFailed = false;
  try {
    if (decision.stamp && local.session !== undefined && local.heartbeat !== undefined) {
      if (opts.stamp) {
        await stampHeartbeat(local.session, s.table, local.heartbeat, deadline);
        stamped = true;
      } else if (opts.trialStamp === true) {
        await trialStamp(local.session, s.table, local.heartbeat, deadline);
      }
    }
  } catch (e) {
    stampFailed = true;
    decision = afterStampFailure(decision, factError(e));
  } finally {
    if (local.session !== undefined) sessions.release('local', local.session, stampFailed);
  }
  return done(decision, facts, local.heartbeat, stamped);
}
