/**
 * `mysql-failover-check recover`: the operator ends a latch (docs/design.md,
 * "Holding a failover"). It checks first that the node would be UP by the
 * decision table's rows 3 to 7 (a fresh heartbeat, or replication running
 * and within --max-lag), whatever the peer and the maintenance file say;
 * --force skips that check and also replaces an unusable state file. The
 * update takes the state file's lock like every probe, so it loses nothing
 * while the load balancer keeps probing.
 */
import { Deadline } from '../core/deadline';
import type { Decision } from '../core/decide';
import { CheckError } from '../core/errors';
import { eventsFor, withEventsSent, type FailoverEvent } from '../core/events';
import { recover, type FailoverState, type Transition } from '../core/failover-state';
import type { CheckSettings } from '../config/settings';
import { withStateLock } from '../io/state-file';
import { probe } from './probe';
import { perCheckSessions } from './session-source';
import { mirrorOnOwnSession } from './state-mirror';

export type RecoverOutcome =
  | { ok: true; from: string; state: FailoverState; transition: Transition; events: FailoverEvent[]; check: Decision | undefined }
  | { ok: false; why: string; check: Decision | undefined };

/** Reasons of rows 3 to 7 that say UP: the node has caught up by itself. */
const HEALTHY: ReadonlySet<string> = new Set(['fresh', 'caught-up']);

/** The node as rows 3 to 7 judge it: no peer (row 2 would say UP for a lonely node), no maintenance file. */
export async function healthCheck(s: CheckSettings, startedAt: number): Promise<Decision> {
  const alone: CheckSettings = { ...s, peer: undefined, peerAuto: undefined, maintenanceFile: undefined, failover: undefined };
  const r = await probe(alone, { stamp: false, trialStamp: true, alwaysReadReplication: true }, startedAt);
  return r.decision;
}

export async function recoverNode(s: CheckSettings, opts: { force: boolean; by: string; startedAt: number }): Promise<RecoverOutcome> {
  const f = s.failover;
  if (f === undefined) {
    throw new CheckError('USAGE', 'recover needs the failover options (--state-file, --failback, ...), as the probes have them');
  }
  let check: Decision | undefined;
  if (!opts.force) {
    check = await healthCheck(s, opts.startedAt);
    if (check.verdict !== 'UP' || !HEALTHY.has(check.reason)) {
      return { ok: false, why: `the node would not be UP by itself: ${check.verdict} (${check.reason}): ${check.detail}`, check };
    }
  }
  const at = Date.now();
  const deadline = new Deadline(opts.startedAt + s.timeoutMs);
  const outcome: RecoverOutcome = await withStateLock(f.stateFile, f.identity, deadline, async (txn) => {
    const stored = txn.read();
    if (stored.kind === 'unusable' && !opts.force) {
      return { ok: false as const, why: `${stored.error.message}: fix the file, or run recover --force to start afresh`, check };
    }
    const prev = stored.kind === 'ok' ? stored.state : undefined;
    const r = recover(prev, at, opts.by, f.policy, opts.force);
    if (!r.ok) return { ok: false as const, why: r.why, check };
    const events = eventsFor(prev, r.state, { at, actor: 'operator' });
    txn.write(withEventsSent(r.state));
    return { ok: true as const, from: prev?.state ?? 'none', state: r.state, transition: r.transition, events, check };
  });
  // The other node's pool reads the state from this node's heartbeat row; no probe may come soon to copy it.
  if (outcome.ok) await mirrorOnOwnSession(perCheckSessions(s), s.table, s.node, outcome.state, deadline);
  return outcome;
}
