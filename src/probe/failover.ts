/**
 * The failover state in a probe (docs/design.md, "Holding a failover"): the
 * decision table's verdict (the raw one) goes through the state machine
 * (src/core/failover-state.ts), which answers what the load balancer is told.
 *
 * A load-balancer probe or the watcher holds the state file's lock from
 * reading the state to writing it, and stamps the heartbeat inside it:
 * - the state is written before the stamp, so a stamp never lands for an
 *   answer the file does not record (a stamp means "a load balancer used
 *   me": one written for a DOWN answer would make the next probe find a
 *   fresh heartbeat and skip the catch-up check);
 * - the stamp happens only when the answered verdict is UP: a node held DOWN
 *   (recovering, failed) must not look used;
 * - a stamp that fails turns the raw verdict into heartbeat-write-failed and
 *   the state is evaluated again from the same previous state.
 * The read-only modes (the plugin, `status`) evaluate the same in memory and
 * write nothing: what the node would answer now.
 */
import { afterStampFailure, errorDecision, withStateAnswer, type Decision, type FactError } from '../core/decide';
import { CheckError, isCheckError } from '../core/errors';
import type { Deadline } from '../core/deadline';
import { eventsFor, withEventsSent, type FailoverEvent } from '../core/events';
import { evaluate, type Actor, type Evaluation, type FailoverState, type Step, type Transition } from '../core/failover-state';
import type { FailoverSettings } from '../config/failover-settings';
import type { StoredState } from '../io/state-file';

/**
 * The state file's module, loaded on first use: it brings the ini package,
 * which a probe without the failover options must not pay for at start-up.
 */
function stateFile(): typeof import('../io/state-file') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../io/state-file') as typeof import('../io/state-file');
}

export interface FailoverOutcome {
  /** What the load balancer is told. */
  decision: Decision;
  /** The state after this evaluation (undefined when the file could not be used). */
  state: FailoverState | undefined;
  transitions: Transition[];
  events: FailoverEvent[];
  stamped: boolean;
  /** Something about the state file an operator must see (busy, replaced, unusable). */
  notes: string[];
}

export interface FailoverInput {
  raw: Decision;
  at: number;
  restartEvidence?: string | undefined;
  actor: Actor;
}

/**
 * Stamps (or tries to); resolves with the failure, never rejects. `state`:
 * the failover state the stamp records in the heartbeat row (the state
 * mirror), undefined without a failover state.
 */
export type Stamp = (state: FailoverState | undefined) => Promise<FactError | undefined>;

function answered(raw: Decision, step: Step): Decision {
  return withStateAnswer(raw, step.answer, step.state.state);
}

/**
 * `raw` may be the input's verdict after a failed stamp (heartbeat-write-failed);
 * whether the peer could be reached is a fact of the input either way. A
 * read-only survivor cannot stamp, and its peer is still lost: that is the
 * event its hook (hooks/read-only-off) waits for to make it writable.
 */
function evaluation(input: FailoverInput, raw: Decision): Evaluation {
  return {
    at: input.at,
    raw: { verdict: raw.verdict, reason: raw.reason, detail: raw.detail },
    maintenance: raw.reason === 'maintenance',
    peerUnreachable: input.raw.reason === 'peer-unreachable',
    restartEvidence: input.restartEvidence,
    actor: input.actor,
  };
}

/** DOWN for a state file that cannot be used: a lost latch must not fail back on its own. */
function unusableDecision(raw: Decision, reason: 'state-unreadable' | 'state-unwritable', message: string, fix: string): Decision {
  const detail = `${message}: ${fix}`;
  return {
    verdict: 'DOWN',
    reason,
    detail,
    stamp: false,
    steps: [...raw.steps, detail, `=> DOWN (${reason})`],
    warnings: raw.warnings,
  };
}

const READ_FIX = 'fix or remove the file, or run `mysql-failover-check recover --force`';

/**
 * The previous state from what was stored; `unusable` with manual failback
 * answers DOWN state-unreadable (returned as a Decision), with auto starts
 * afresh (the write keeps a copy of the old file) and says so.
 */
function previous(
  stored: StoredState,
  f: FailoverSettings,
  raw: Decision,
  notes: string[],
): { prev: FailoverState | undefined } | { down: Decision } {
  if (stored.kind === 'ok') return { prev: stored.state };
  if (stored.kind === 'missing') return { prev: undefined };
  if (f.policy.failback === 'manual') return { down: unusableDecision(raw, 'state-unreadable', stored.error.message, READ_FIX) };
  notes.push(`${stored.error.message}: started afresh (--failback auto); the old file is kept beside it`);
  return { prev: undefined };
}

function refused(decision: Decision, notes: string[]): FailoverOutcome {
  return { decision, state: undefined, transitions: [], events: [], stamped: false, notes };
}

/** The read-only modes: what the node would answer now, nothing written, nothing stamped here. */
export function peekFailover(f: FailoverSettings, input: FailoverInput): FailoverOutcome {
  const notes: string[] = [];
  const found = previous(stateFile().loadState(f.stateFile, f.identity), f, input.raw, notes);
  if ('down' in found) return refused(found.down, notes);
  const before = found.prev;
  const step = evaluate(before, evaluation(input, input.raw), f.policy);
  return {
    decision: answered(input.raw, step),
    state: step.state,
    transitions: step.transitions,
    events: eventsFor(before, step.state, { at: input.at, actor: input.actor }),
    stamped: false,
    notes,
  };
}

/**
 * A probe or the watcher: lock, read, evaluate, write, stamp when the answer
 * is UP, unlock; bounded by `deadline`. Never rejects: a busy lock answers
 * from an unlocked read with nothing written and nothing stamped, a state
 * file that cannot be written answers DOWN state-unwritable.
 */
export async function holdFailover(
  f: FailoverSettings,
  input: FailoverInput,
  deadline: Deadline,
  stamp: Stamp | undefined,
): Promise<FailoverOutcome> {
  const notes: string[] = [];
  try {
    return await stateFile().withStateLock(f.stateFile, f.identity, deadline, async (txn) => {
      const found = previous(txn.read(), f, input.raw, notes);
      if ('down' in found) return refused(found.down, notes);
      const prev = found.prev;
      let raw = input.raw;
      let step = evaluate(prev, evaluation(input, raw), f.policy);
      const write = (s: Step): void => {
        const outcome = txn.write(withEventsSent(s.state));
        if (outcome.keptCopy !== undefined) notes.push(`the unusable state file was kept as ${outcome.keptCopy}`);
      };
      write(step);
      let stamped = false;
      if (step.answer.verdict === 'UP' && raw.stamp && stamp !== undefined) {
        const failed = await stamp(step.state);
        if (failed === undefined) stamped = true;
        else {
          raw = afterStampFailure(raw, failed);
          step = evaluate(prev, evaluation(input, raw), f.policy);
          write(step);
        }
      }
      return {
        decision: answered(raw, step),
        state: step.state,
        transitions: step.transitions,
        events: eventsFor(prev, step.state, { at: input.at, actor: input.actor }),
        stamped,
        notes,
      };
    });
  } catch (e) {
    const err = isCheckError(e) ? e : new CheckError('INTERNAL', String(e), { cause: e });
    if (err.code === 'STATE_BUSY') {
      // Someone else holds the lock: answer as the file says, change nothing.
      const peek = peekFailover(f, input);
      const decision = peek.decision.stamp ? { ...peek.decision, stamp: false } : peek.decision;
      return {
        ...peek,
        decision,
        transitions: [],
        events: [],
        notes: [...peek.notes, `${err.message}: answered from an unlocked read, nothing written`],
      };
    }
    if (err.code === 'TIMEOUT') {
      return refused({ ...errorDecision({ code: err.code, message: err.message }), warnings: input.raw.warnings }, notes);
    }
    if (err.code === 'STATE_UNWRITABLE') {
      const fix = 'give the user this runs as write access to that directory, or set --state-file';
      return refused(unusableDecision(input.raw, 'state-unwritable', err.message, fix), notes);
    }
    return refused(unusableDecision(input.raw, 'state-unreadable', err.message, READ_FIX), notes);
  }
}
