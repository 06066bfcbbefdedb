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
import type { Actor, FailoverState } from '../core/failover-state';
import type { HeartbeatRead } from '../core/heartbeat';
import type { CheckSettings } from '../config/settings';
import type { Endpoint } from '../io/mysql';
import { factError, gatherLocal, gatherPeer, type LocalGathered } from './facts';
import { autoPeer, peerSourceWarning } from './peer-target';
import { inMaintenance, maintenanceFacts } from './maintenance';
import { perCheckSessions, type SessionSource } from './session-source';
import { holdFailover, peekFailover, type FailoverOutcome, type Stamp } from './failover';
import { stampHeartbeat, trialStamp } from './stamp';
import { mirrorChange, mirrorFor, mirrorOnOwnSession } from './state-mirror';

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
  /**
   * With the failover options set (settings.failover): `write` holds the
   * state (load-balancer probes, the watcher), `read` only looks (the
   * plugin, `status`). Ignored when settings.failover is undefined.
   */
  failover?: { mode: 'write' | 'read'; actor: Actor } | undefined;
  /**
   * Warn when --peer is not the source of any replication channel (by
   * address; default on). `pool` turns it off: it tells by server_id.
   */
  peerSourceCheck?: boolean;
  /**
   * Log in to the peer only once the local heartbeat is known stale: for
   * answers that do not name the reason (snmp's 100, the agent's `up`). A
   * local node that cannot be checked is DOWN, and a fresh heartbeat UP and
   * stamped, whatever the peer says; only the reason differs (fresh or
   * peer-unreachable) and a refused login's warning, which such an answer
   * does not carry. So the peer is still asked whenever anything would
   * show it: a --log-file, a failover state (it tracks the peer), --peer
   * auto, the read-only modes (alwaysReadReplication).
   */
  skipPeerWhenFresh?: boolean;
}

/**
 * What one probe found. When the hard deadline fired (`timedOut`), only the
 * decision (DOWN `error`, TIMEOUT) and the time taken are known.
 */
export interface ProbeResult {
  /** What the load balancer is told: the decision table's verdict, through the failover state when there is one. */
  decision: Decision;
  /** The decision table's own verdict (the same as `decision` without a failover state). */
  raw: Decision;
  facts: Facts | undefined;
  heartbeat: HeartbeatRead | undefined;
  stamped: boolean;
  /** From the start of the probe; when timed out, from `startedAt`. */
  elapsedMs: number;
  timedOut: boolean;
  /** The failover state's side of it, when settings.failover is set. */
  failover?: FailoverOutcome | undefined;
  /**
   * In maintenance, for the read-only modes: the decision without the
   * maintenance file, i.e. what the node would answer once undrained.
   */
  wouldBe?: Decision | undefined;
}

/**
 * The peer gets at most this share of the deadline, so a hung peer cannot
 * eat the time the local node needs to answer and stamp: a healthy master
 * whose peer hangs must still say UP.
 */
export const PEER_SHARE = 0.5;

/** Kept back from the timeout for printing the answer after the probe gives up. */
export const ANSWER_MARGIN_MS = 100;
/**
 * Kept back, with a failover state, for the state file: a probe that hits
 * its deadline still counts as a failed evaluation, recorded within --timeout.
 */
export const STATE_MARGIN_MS = 150;
/** The guard fires this long after the probe's own deadline, so a step's own (more telling) timeout error wins. */
const GUARD_SLACK_MS = 40;

function holdsState(settings: CheckSettings, opts: ProbeOptions): boolean {
  return settings.failover !== undefined && opts.failover?.mode === 'write';
}

/** Probes, settling within `settings.timeoutMs` of `startedAt` (when the process started, for the executables). */
export async function probe(settings: CheckSettings, opts: ProbeOptions, startedAt: number = Date.now()): Promise<ProbeResult> {
  const answerBy = new Deadline(startedAt + settings.timeoutMs - ANSWER_MARGIN_MS);
  const stateful = holdsState(settings, opts);
  // With a state file, the servers' steps end STATE_MARGIN_MS early, and the
  // state step (lock, write, stamp) may run until answerBy.
  const deadline = stateful ? new Deadline(answerBy.at - STATE_MARGIN_MS) : answerBy;
  const abandoned = { value: false };
  let timer: NodeJS.Timeout | undefined;
  // The last line of defence: should any step ignore its deadline, the answer still goes out in time.
  const guard = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, (stateful ? answerBy : deadline).remaining()) + GUARD_SLACK_MS);
  });
  try {
    const first = await Promise.race([probeWithin(settings, opts, deadline, abandoned), guard]);
    if (first !== 'timeout') return first;
    abandoned.value = true;
    // What is left of the answer margin records the failed evaluation, if the lock is free at once.
    return await timedOut(settings, opts, startedAt, new Deadline(answerBy.at + ANSWER_MARGIN_MS / 2));
  } finally {
    clearTimeout(timer);
  }
}

/** The probe ran out of time: DOWN `error`, which also counts as a failed evaluation of the failover state. */
async function timedOut(settings: CheckSettings, opts: ProbeOptions, startedAt: number, answerBy: Deadline): Promise<ProbeResult> {
  const raw = errorDecision({ code: 'TIMEOUT', message: 'check did not finish within --timeout' });
  const result: ProbeResult = {
    decision: raw,
    raw,
    facts: undefined,
    heartbeat: undefined,
    stamped: false,
    elapsedMs: Date.now() - startedAt,
    timedOut: true,
  };
  const f = settings.failover;
  if (f === undefined || opts.failover === undefined) return result;
  const input = { raw, at: Date.now(), actor: opts.failover.actor };
  const failover = holdsState(settings, opts) ? await holdFailover(f, input, answerBy, undefined) : peekFailover(f, input);
  return { ...result, decision: failover.decision, failover, elapsedMs: Date.now() - startedAt };
}

/** The probe's steps, each bounded by `deadline`. */
async function probeWithin(s: CheckSettings, opts: ProbeOptions, deadline: Deadline, abandoned: { value: boolean }): Promise<ProbeResult> {
  const started = Date.now();
  const f = opts.failover === undefined ? undefined : s.failover;
  const done = (raw: Decision, extra: Partial<ProbeResult> = {}): ProbeResult => ({
    decision: raw,
    raw,
    facts: undefined,
    heartbeat: undefined,
    stamped: false,
    elapsedMs: Date.now() - started,
    timedOut: false,
    ...extra,
  });

  const maintenance = inMaintenance(s);
  // Load-balancer probes look at nothing else in maintenance; the read-only
  // modes keep checking, so that an operator is not blind while drained.
  if (maintenance && opts.stamp) {
    const facts = maintenanceFacts();
    const raw = decide(facts, s.thresholds);
    if (f === undefined || opts.failover === undefined) return done(raw, { facts });
    const failover = await stateStep(s, opts, raw, undefined, deadline, abandoned, undefined);
    // Entering maintenance is a change the other node's pool must see; nothing was read, so a session of its own.
    if (holdsState(s, opts) && failover.transitions.length > 0 && failover.state !== undefined && !abandoned.value) {
      await mirrorOnOwnSession(opts.sessions ?? perCheckSessions(s), s.table, s.node, failover.state, deadline);
    }
    return done(raw, { facts, decision: failover.decision, failover });
  }

  const sessions = opts.sessions ?? perCheckSessions(s);
  const peerShareMs = Math.max(1, Math.floor(s.timeoutMs * PEER_SHARE));
  const lazyPeer = opts.skipPeerWhenFresh === true && s.logFile === undefined && s.failover === undefined && s.peerAuto === undefined;
  /** The peer, asked once: alongside the local node, or (lazyPeer) only once its heartbeat is stale. */
  let peerAsked: Promise<PeerFacts> | undefined;
  const askPeer = (endpoint: Endpoint | undefined): Promise<PeerFacts> =>
    (peerAsked ??= gatherPeer(sessions, endpoint, deadline.within(peerShareMs)));
  const localPromise = gatherLocal(
    sessions,
    s.table,
    s.node,
    deadline,
    (read) => {
      if (isStale(read.heartbeat, s.thresholds.fresh)) {
        // Now the peer can change the verdict (row 2): asked while the replica status is read.
        if (lazyPeer) void askPeer(s.peer);
        return 'required';
      }
      return opts.alwaysReadReplication || s.peerAuto !== undefined ? 'optional' : 'skip';
    },
    // The evidence of a restart while nothing probed: only manual failback acts on it.
    f?.policy.failback === 'manual',
  );
  let local: LocalGathered;
  let peer: PeerFacts;
  if (s.peerAuto === undefined) {
    if (!lazyPeer) void askPeer(s.peer);
    local = await localPromise;
    peer = await (peerAsked ?? (s.peer === undefined ? { configured: false } : { configured: false, notAsked: true }));
  } else {
    // The peer's address comes from the replica status, so it is asked after the local node.
    local = await localPromise;
    const target = autoPeer(s, local);
    peer = 'code' in target ? { configured: false, unresolved: target } : await askPeer(target);
  }
  const checked: Facts = { maintenance: false, local: local.facts, peer };
  let raw = decide(checked, s.thresholds);
  if (s.peer?.host !== undefined && local.facts.ok && opts.peerSourceCheck !== false) {
    const warning = await peerSourceWarning({ host: s.peer.host, port: s.peer.port ?? 3306 }, local.facts.channels, deadline);
    if (warning !== undefined) raw.warnings.push(warning);
  }
  let stamped = false;
  let stampFailed = false;
  const session = local.session;
  const heartbeat = local.heartbeat;
  // The stamp (or, read-only, its rolled-back trial), resolving with its failure.
  const stampStep: Stamp | undefined =
    session === undefined || heartbeat === undefined || (!opts.stamp && opts.trialStamp !== true)
      ? undefined
      : async (state) => {
          try {
            if (opts.stamp) {
              await stampHeartbeat(session, s.table, heartbeat, deadline, mirrorFor(heartbeat, state, s.failover !== undefined));
              stamped = true;
            } else await trialStamp(session, s.table, heartbeat, deadline);
            return undefined;
          } catch (e) {
            stampFailed = true;
            return factError(e);
          }
        };

  if (maintenance) {
    // Read-only and in maintenance: the answer is maintenance; the rest is what undraining would give.
    const wouldBe = await withStamp(raw, stampStep, undefined);
    if (session !== undefined) sessions.release('local', session, stampFailed);
    const facts: Facts = { ...checked, maintenance: true };
    const answer = { ...decide(facts, s.thresholds), warnings: raw.warnings };
    if (f === undefined || opts.failover === undefined) return done(answer, { facts, heartbeat, wouldBe });
    const failover = await stateStep(s, opts, answer, undefined, deadline, abandoned, undefined);
    return done(answer, { facts, heartbeat, wouldBe, decision: failover.decision, failover });
  }

  const facts = checked;
  try {
    if (f === undefined) {
      raw = await withStamp(raw, stampStep, undefined);
      return done(raw, { facts, heartbeat, stamped });
    }
    const failover = await stateStep(s, opts, raw, restartEvidence(local), deadline, abandoned, stampStep);
    if (holdsState(s, opts) && !failover.stamped && !stampFailed && session !== undefined && heartbeat !== undefined && !abandoned.value) {
      stampFailed = !(await mirrorChange(session, s.table, heartbeat, failover.state, deadline));
    }
    return done(raw, { facts, heartbeat, stamped, decision: failover.decision, failover });
  } finally {
    if (session !== undefined) sessions.release('local', session, stampFailed);
  }
}

/**
 * The failover state's step: held (locked, written, stamping inside) for
 * `write`, looked at for `read`, whose trial stamp runs only when the
 * answer would be UP, as the real one would.
 */
async function stateStep(
  s: CheckSettings,
  opts: ProbeOptions,
  raw: Decision,
  evidence: string | undefined,
  deadline: Deadline,
  abandoned: { value: boolean },
  stampStep: Stamp | undefined,
): Promise<FailoverOutcome> {
  const f = s.failover;
  const mode = opts.failover;
  if (f === undefined || mode === undefined) throw new Error('stateStep without a failover state');
  const input = { raw, at: Date.now(), restartEvidence: evidence, actor: mode.actor };
  if (mode.mode === 'write' && !abandoned.value) {
    return holdFailover(f, input, new Deadline(deadline.at + STATE_MARGIN_MS), stampStep);
  }
  const peek = peekFailover(f, input);
  if (peek.decision.verdict !== 'UP') return peek;
  const tried = await withStamp(raw, stampStep, peek.state);
  return tried === raw ? peek : peekFailover(f, { ...input, raw: tried });
}

/** `raw` after its stamp step, when it stamps: a stamp (or trial) that fails turns it into heartbeat-write-failed. */
async function withStamp(raw: Decision, stampStep: Stamp | undefined, state: FailoverState | undefined): Promise<Decision> {
  if (!raw.stamp || stampStep === undefined) return raw;
  const failed = await stampStep(state);
  return failed === undefined ? raw : afterStampFailure(raw, failed);
}

/**
 * The local server restarted since its last stamp (Uptime below the
 * heartbeat's age): the node was out of service while nothing probed it.
 */
function restartEvidence(local: LocalGathered): string | undefined {
  const uptime = local.uptime;
  if (uptime === undefined || !local.facts.ok) return undefined;
  const hb = local.facts.heartbeat;
  if (hb.state !== 'ok' || hb.age === null || uptime >= hb.age) return undefined;
  return `the server restarted ${uptime} s ago, after its last stamp ${hb.age} s ago`;
}
