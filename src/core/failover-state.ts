/**
 * The failover state machine (docs/design.md, "Holding a failover";
 * docs/failover-state.md has the transition table): turns the raw decision
 * of one evaluation into the answered one, remembering what the decision
 * table cannot: how long a condition has lasted, a latched failure, recent
 * DOWN transitions. Pure: no I/O, and time is an input, never Date.now().
 */
import type { Verdict } from './decide';
import { isoUtc } from './utc-time';

export const STATE_NAMES = ['up', 'failing', 'down', 'recovering', 'failed', 'maintenance'] as const;
export type StateName = (typeof STATE_NAMES)[number];

/**
 * Reason codes the failover state adds to the decision table's. The first
 * three are answered by evaluate(); the last two are answered by the caller
 * when the state file cannot be used.
 */
export const STATE_REASONS = ['holding-up', 'holding-down', 'awaiting-recover', 'state-unreadable', 'state-unwritable'] as const;
export type StateReason = (typeof STATE_REASONS)[number];

export const ACTORS = ['probe', 'watcher', 'operator'] as const;
export type Actor = (typeof ACTORS)[number];

export interface FailoverPolicy {
  /** A DOWN condition (other than maintenance) must last this long, seen by >= 2 evaluations, before the answer turns DOWN. */
  downAfterMs: number;
  /** The same for a DOWN node turning UP. */
  upAfterMs: number;
  /** manual: a node that answered DOWN stays DOWN (`failed`) until recover(). */
  failback: 'auto' | 'manual';
  /** This many DOWN transitions within flapWindowMs latch the node as failed; 0 = off. */
  flapLimit: number;
  flapWindowMs: number;
}

/** Today's behaviour: every option off. */
export const DEFAULT_POLICY: Readonly<FailoverPolicy> = {
  downAfterMs: 0,
  upAfterMs: 0,
  failback: 'auto',
  flapLimit: 0,
  flapWindowMs: 3_600_000,
};

/** What the decision table said for this evaluation. */
export interface RawDecision {
  verdict: Verdict;
  reason: string;
  detail: string;
}

export interface Evaluation {
  /** Epoch ms of the evaluation. */
  at: number;
  raw: RawDecision;
  /** The maintenance file is present (the same as raw reason 'maintenance'). */
  maintenance: boolean;
  /** The peer cannot be reached at all (decision row 2, raw reason 'peer-unreachable'). */
  peerUnreachable: boolean;
  /** Set when the local server restarted since its last stamp (Uptime < heartbeat age); says so with figures. */
  restartEvidence?: string | undefined;
  actor: Actor;
}

/** The decision the load balancer is told. */
export interface Answer {
  verdict: Verdict;
  reason: string;
  detail: string;
}

/** Why the node is latched as failed. `reason` is a raw reason code, 'restarted' or 'flapping'. */
export interface Latch {
  at: number;
  reason: string;
  evidence: string;
}

/** The raw reason and detail that brought the node into its current state. */
export interface Cause {
  reason: string;
  detail: string;
}

/** How long the peer has been unreachable, for the peer-lost / peer-back events. */
export interface PeerWatch {
  unreachableSince: number | undefined;
  /** Evaluations that saw it unreachable, counted up to 2 (all the rule needs). */
  evaluations: number;
  /** Unreachable for downAfterMs, seen by >= 2 evaluations when downAfterMs > 0. */
  lost: boolean;
}

/** The last event sent per category (events.ts); undefined = nothing recorded yet. */
export interface LastEvents {
  verdict?: 'up' | 'down' | undefined;
  latch?: 'failed' | 'recovered' | undefined;
  peer?: 'peer-lost' | 'peer-back' | undefined;
  maintenance?: 'maintenance-on' | 'maintenance-off' | undefined;
}

/** The last hook run, recorded by whoever runs hooks, shown by `status`. */
export interface HookRun {
  event: string;
  command: string;
  /** The exit code as text, or the name of the signal that ended it. */
  exit: string;
  at: number;
  durationMs: number;
}

/**
 * Everything remembered between evaluations. Fields change only when
 * something happens (not on every evaluation of a steady state), so a
 * steady node rewrites nothing.
 */
export interface FailoverState {
  state: StateName;
  /** When the current state was entered (epoch ms); for failed, when the latch was set. */
  since: number;
  /** Evaluations in the current state; counted only while holding (failing, recovering). */
  evaluations: number;
  /** The answered verdict and reason of the last evaluation. */
  verdict: Verdict;
  reason: string;
  cause: Cause;
  /** In maintenance: the state it came from. */
  beforeMaintenance: StateName | undefined;
  /** The last evaluation carried restart evidence: the same restart is judged once. */
  restartSeen: boolean;
  latch: Latch | undefined;
  /** Times of DOWN transitions within the flap window, oldest first, at most flapLimit. */
  flaps: number[];
  recovered: { at: number; by: string } | undefined;
  peer: PeerWatch;
  sent: LastEvents;
  hook: HookRun | undefined;
}

export interface Transition {
  /** 'none': the first evaluation, no prior state. */
  from: StateName | 'none';
  to: StateName;
  at: number;
  reason: string;
  detail: string;
  actor: Actor;
}

export interface Step {
  state: FailoverState;
  answer: Answer;
  /** State changes of this evaluation (none or one). */
  transitions: Transition[];
}

/** The state of a node never evaluated: up, nothing remembered. */
export function freshState(at: number): FailoverState {
  return {
    state: 'up',
    since: at,
    evaluations: 0,
    verdict: 'UP',
    reason: '',
    cause: { reason: '', detail: '' },
    beforeMaintenance: undefined,
    restartSeen: false,
    latch: undefined,
    flaps: [],
    recovered: undefined,
    peer: { unreachableSince: undefined, evaluations: 0, lost: false },
    sent: {},
    hook: undefined,
  };
}

/** Whether the node is latched (failed, or in maintenance with the latch kept for afterwards). */
export function isLatched(s: FailoverState): boolean {
  return s.latch !== undefined;
}

export function evaluate(prev: FailoverState | undefined, ev: Evaluation, policy: FailoverPolicy): Step {
  const base = prev ?? freshState(ev.at);
  const maintenance = ev.maintenance || ev.raw.reason === 'maintenance';
  const peerUnreachable = ev.peerUnreachable || ev.raw.reason === 'peer-unreachable';
  const carried: FailoverState = {
    ...base,
    restartSeen: ev.restartEvidence !== undefined,
    flaps: withinWindow(base.flaps, ev.at, policy),
    peer: watchPeer(base.peer, peerUnreachable, ev.at, policy.downAfterMs),
  };
  const next = nextState(carried, base, ev, maintenance, peerUnreachable, policy);
  const answer = answerIn(next, ev, peerUnreachable, policy);
  next.verdict = answer.verdict;
  next.reason = answer.reason;
  const transitions: Transition[] = [];
  if (prev === undefined || next.state !== prev.state) {
    transitions.push({
      from: prev === undefined ? 'none' : prev.state,
      to: next.state,
      at: ev.at,
      reason: answer.reason,
      detail: answer.detail,
      actor: ev.actor,
    });
  }
  return { state: next, answer, transitions };
}

const IN_SERVICE: ReadonlySet<StateName> = new Set<StateName>(['up', 'failing', 'recovering']);

function nextState(
  s: FailoverState,
  base: FailoverState,
  ev: Evaluation,
  maintenance: boolean,
  peerUnreachable: boolean,
  policy: FailoverPolicy,
): FailoverState {
  const at = ev.at;
  const raw = ev.raw;
  const rawCause = { reason: raw.reason, detail: raw.detail };
  const enter = (state: StateName, over: Partial<FailoverState> = {}): FailoverState => ({
    ...s,
    state,
    since: at,
    evaluations: 1,
    cause: rawCause,
    ...over,
  });
  const latched = (latch: Latch, over: Partial<FailoverState> = {}): FailoverState => enter('failed', { latch, since: latch.at, ...over });

  // The maintenance file acts at once, both ways, from any state.
  if (maintenance) {
    return s.state === 'maintenance' ? s : enter('maintenance', { beforeMaintenance: s.state });
  }
  if (s.state === 'maintenance') {
    // Leaving maintenance is no DOWN transition: it neither counts as a flap
    // nor latches; only a latch held from before comes back.
    const back: Partial<FailoverState> = { beforeMaintenance: undefined };
    if (s.latch !== undefined) return enter('failed', { ...back, since: s.latch.at });
    return enter(raw.verdict === 'UP' ? 'up' : 'down', back);
  }

  // A restart since the last stamp means the node was out of service while
  // nothing checked it (the host was off): with manual failback that is a
  // failure like any other. Judged once per restart, and only from a state
  // in service: a restart seen during maintenance is planned work, and its
  // evidence lasting until the next stamp must not latch on the way out.
  if (policy.failback === 'manual' && ev.restartEvidence !== undefined && !base.restartSeen && IN_SERVICE.has(s.state)) {
    return latched({ at, reason: 'restarted', evidence: ev.restartEvidence });
  }

  const rawUp = raw.verdict === 'UP';
  switch (s.state) {
    case 'up':
      if (rawUp) return s;
      if (policy.downAfterMs === 0) return turnDown(s, ev, policy, enter, latched);
      return enter('failing');
    case 'failing':
      if (rawUp) return enter('up');
      if (held(s, at, policy.downAfterMs)) return turnDown(s, ev, policy, enter, latched);
      return hold(s, at);
    case 'down':
      if (!rawUp) return s;
      // Rule 2 (the peer is gone) outranks --up-after too: holding this node
      // DOWN would leave the pair with no node at all.
      if (policy.upAfterMs === 0 || peerUnreachable) return enter('up');
      return enter('recovering');
    case 'recovering':
      if (!rawUp) {
        if (policy.failback === 'manual') return latched({ at, reason: raw.reason, evidence: raw.detail });
        return enter('down');
      }
      if (peerUnreachable || held(s, at, policy.upAfterMs)) return enter('up');
      return hold(s, at);
    case 'failed':
      // Only recover() leaves the latch.
      return s;
  }
}

/** Held long enough: the time has passed AND this is at least the second evaluation. */
function held(s: FailoverState, at: number, ms: number): boolean {
  return at - s.since >= ms && s.evaluations + 1 >= 2;
}

/** One more evaluation while holding. A clock stepped back restarts the hold from now, so it stays bounded. */
function hold(s: FailoverState, at: number): FailoverState {
  return { ...s, evaluations: s.evaluations + 1, since: at < s.since ? at : s.since };
}

/** The answer turns DOWN (from up or failing): a DOWN transition for flap counting and manual latching. */
function turnDown(
  s: FailoverState,
  ev: Evaluation,
  policy: FailoverPolicy,
  enter: (state: StateName, over?: Partial<FailoverState>) => FailoverState,
  latched: (latch: Latch, over?: Partial<FailoverState>) => FailoverState,
): FailoverState {
  const at = ev.at;
  const flaps = recordFlap(s.flaps, at, policy);
  if (policy.flapLimit > 0 && flaps.length >= policy.flapLimit) {
    const evidence = `turned DOWN ${flaps.length} times within --flap-window ${seconds(policy.flapWindowMs)} s (last: ${ev.raw.reason})`;
    return latched({ at, reason: 'flapping', evidence }, { flaps });
  }
  if (policy.failback === 'manual') return latched({ at, reason: ev.raw.reason, evidence: ev.raw.detail }, { flaps });
  return enter('down', { flaps });
}

/** Adds a DOWN transition; only the last flapLimit matter, so no more are kept. */
function recordFlap(flaps: readonly number[], at: number, policy: FailoverPolicy): number[] {
  if (policy.flapLimit <= 0) return [];
  return [...flaps, at].slice(-policy.flapLimit);
}

/** DOWN transitions still inside the window: `at - t < flapWindowMs`. */
function withinWindow(flaps: readonly number[], at: number, policy: FailoverPolicy): number[] {
  if (policy.flapLimit <= 0) return [];
  return flaps.filter((t) => at - t < policy.flapWindowMs);
}

function watchPeer(prev: PeerWatch, unreachable: boolean, at: number, downAfterMs: number): PeerWatch {
  if (!unreachable) return { unreachableSince: undefined, evaluations: 0, lost: false };
  if (prev.lost) return prev;
  const since = prev.unreachableSince === undefined || at < prev.unreachableSince ? at : prev.unreachableSince;
  const evaluations = Math.min(prev.evaluations + 1, 2);
  const lost = at - since >= downAfterMs && (downAfterMs === 0 || evaluations >= 2);
  return { unreachableSince: since, evaluations, lost };
}

function answerIn(s: FailoverState, ev: Evaluation, peerUnreachable: boolean, policy: FailoverPolicy): Answer {
  const raw = ev.raw;
  const at = ev.at;
  switch (s.state) {
    case 'maintenance':
      return { verdict: 'DOWN', reason: 'maintenance', detail: raw.reason === 'maintenance' ? raw.detail : 'maintenance file present' };
    case 'up':
    case 'down':
      return { verdict: raw.verdict, reason: raw.reason, detail: raw.detail };
    case 'failing':
      return {
        verdict: 'UP',
        reason: 'holding-up',
        detail: `failing since ${isoUtc(s.since)}: ${raw.reason} for ${seconds(at - s.since)} s of --down-after ${seconds(policy.downAfterMs)} s`,
      };
    case 'recovering':
      return {
        verdict: 'DOWN',
        reason: 'holding-down',
        detail: `recovering since ${isoUtc(s.since)}: ${raw.reason} for ${seconds(at - s.since)} s of --up-after ${seconds(policy.upAfterMs)} s`,
      };
    case 'failed': {
      // Rule 2 stays above the latch: never drop the last node.
      if (peerUnreachable && raw.verdict === 'UP') {
        return {
          verdict: 'UP',
          reason: 'peer-unreachable',
          detail: 'failed, but the peer is unreachable: taking traffic as the last node',
        };
      }
      const latch = s.latch;
      const why =
        latch === undefined ? `failed since ${isoUtc(s.since)}` : `failed since ${isoUtc(latch.at)} (${latch.reason}: ${latch.evidence})`;
      if (raw.verdict === 'DOWN') return { verdict: 'DOWN', reason: raw.reason, detail: `${raw.detail}; ${why}` };
      return {
        verdict: 'DOWN',
        reason: 'awaiting-recover',
        detail: `${why}; ${raw.reason} now: run \`mysql-failover-check recover\``,
      };
    }
  }
}

export type RecoverResult = { ok: true; state: FailoverState; transition: Transition } | { ok: false; why: string };

/**
 * The operator's `recover`: leaves the latch. Whether the node is healthy
 * enough is the caller's check, not this function's. `force` also starts
 * from no usable state (a missing, corrupt or foreign file).
 */
export function recover(prev: FailoverState | undefined, at: number, by: string, policy: FailoverPolicy, force = false): RecoverResult {
  if (prev === undefined && !force) return { ok: false, why: 'no failover state recorded: nothing to recover' };
  if (prev !== undefined && prev.latch === undefined) {
    return { ok: false, why: `the node is ${prev.state}, not failed: nothing to recover` };
  }
  const base = prev ?? freshState(at);
  const recovered = { at, by };
  const cleared: FailoverState = {
    ...base,
    latch: undefined,
    flaps: [],
    recovered,
    // The operator vouches for the node as it is, including a restart
    // already seen: its evidence, lasting until the next stamp, must not
    // latch it again.
    restartSeen: true,
  };
  let next: FailoverState;
  if (base.state === 'maintenance') {
    // The latch held for after maintenance goes; maintenance itself stays.
    next = { ...cleared, beforeMaintenance: base.beforeMaintenance === 'failed' ? 'up' : base.beforeMaintenance };
  } else {
    const to: StateName = policy.upAfterMs === 0 ? 'up' : 'recovering';
    next = {
      ...cleared,
      state: to,
      since: at,
      evaluations: 0,
      verdict: to === 'up' ? 'UP' : 'DOWN',
      reason: 'recover',
      cause: { reason: 'recover', detail: `recovered by ${by}` },
    };
  }
  const transition: Transition = {
    from: prev === undefined ? 'none' : prev.state,
    to: next.state,
    at,
    reason: 'recover',
    detail: `recovered by ${by}${force ? ' (--force)' : ''}`,
    actor: 'operator',
  };
  return { ok: true, state: next, transition };
}

export interface StateDescription {
  state: StateName;
  since: number;
  evidence: string;
  /** What ends this state, for people. */
  ends: string;
}

/** For `status`: the state, since when, the evidence and what ends it. */
export function describeState(s: FailoverState, policy: FailoverPolicy, now: number): StateDescription {
  const manual = policy.failback === 'manual';
  const cause = s.cause.reason === '' ? '' : `${s.cause.reason}: ${s.cause.detail}`;
  const latchText = s.latch === undefined ? '' : `${s.latch.reason}: ${s.latch.evidence}`;
  const recoverText = 'run `mysql-failover-check recover` once caught up';
  const at = (t: number): string => `${isoUtc(t)}${t > now ? ` (in ${seconds(t - now)} s)` : ''}`;
  const moreChecks = (n: number): string => (n < 2 ? ' and seen by one more check' : '');
  const describe = (evidence: string, ends: string): StateDescription => ({ state: s.state, since: s.since, evidence, ends });
  switch (s.state) {
    case 'up':
      return describe(
        cause,
        policy.downAfterMs === 0
          ? `a DOWN check answers DOWN at once${manual ? ' and latches the node as failed' : ''}`
          : `a DOWN condition lasting --down-after ${seconds(policy.downAfterMs)} s and seen by 2 checks`,
      );
    case 'failing':
      return describe(
        `${cause} for ${seconds(now - s.since)} s, ${s.evaluations} check(s)`,
        `answers DOWN${manual ? ' and latches as failed' : ''} if still failing at ${at(s.since + policy.downAfterMs)}` +
          `${moreChecks(s.evaluations)}; UP again on the first good check`,
      );
    case 'down':
      return describe(
        cause,
        policy.upAfterMs === 0
          ? 'answers UP on the first good check'
          : `good checks lasting --up-after ${seconds(policy.upAfterMs)} s and seen by 2 checks`,
      );
    case 'recovering':
      return describe(
        `${cause} for ${seconds(now - s.since)} s, ${s.evaluations} check(s)`,
        `answers UP if still good at ${at(s.since + policy.upAfterMs)}${moreChecks(s.evaluations)}; DOWN again on the first bad check`,
      );
    case 'failed':
      return describe(latchText, recoverText);
    case 'maintenance':
      return describe(
        s.latch === undefined ? 'maintenance file present' : `maintenance file present; failed before (${latchText})`,
        s.latch === undefined ? 'removing the maintenance file' : `removing the maintenance file leaves it failed: ${recoverText}`,
      );
  }
}

/** Milliseconds as seconds with at most one decimal: 2100 -> "2.1", 4000 -> "4". */
function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}
