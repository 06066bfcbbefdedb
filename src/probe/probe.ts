/**
 * One check: maintenance file, facts from both nodes in parallel, the
 * decision, and (for load-balancer modes) the heartbeat stamp.
 */
import { existsSync } from 'node:fs';
import { Deadline } from '../core/deadline';
import { afterStampFailure, decide, isStale, type Decision, type Facts } from '../core/decide';
import { factError, gatherLocal, probePeer, stampHeartbeat, trialStamp } from './facts';
import type { HeartbeatRead } from '../core/heartbeat';
import type { CheckSettings } from '../config/settings';
import { perCheckSessions, type SessionSource } from './session-source';

export interface CheckOptions {
  /** Stamp the heartbeat when the verdict says so (LB modes); never for monitoring. */
  stamp: boolean;
  /**
   * When not stamping: try the stamp and roll it back (facts.ts trialStamp),
   * so a verdict the LB would turn into heartbeat-write-failed is reported as such.
   */
  trialStamp?: boolean;
  /** Read replication status even when the heartbeat is fresh (monitoring, people). */
  alwaysReadReplication: boolean;
  /** Where the sessions come from (default: a fresh one per check, closed afterwards). */
  sessions?: SessionSource | undefined;
}

export interface CheckResult {
  decision: Decision;
  facts: Facts | undefined;
  heartbeat: HeartbeatRead | undefined;
  stamped: boolean;
  elapsedMs: number;
}

/**
 * The peer gets at most this share of the deadline, so a hung peer cannot
 * eat the time the local node needs to answer and stamp: a healthy master
 * whose peer hangs must still say UP.
 */
export const PEER_SHARE = 0.5;

/** Row 0 of the decision table applies: the maintenance file exists. */
export function inMaintenance(s: CheckSettings): boolean {
  return s.maintenanceFile !== undefined && existsSync(s.maintenanceFile);
}

/** The facts while in maintenance: nothing else is looked at, no server is asked. */
export function maintenanceFacts(): Facts {
  return {
    maintenance: true,
    local: { ok: false, error: { code: 'MAINTENANCE', message: 'not checked (maintenance)' } },
    peer: { configured: false },
  };
}

export async function runCheck(s: CheckSettings, opts: CheckOptions, deadline?: Deadline): Promise<CheckResult> {
  const started = Date.now();
  const dl = deadline ?? Deadline.in(s.timeoutMs);
  const done = (decision: Decision, facts?: Facts, heartbeat?: HeartbeatRead, stamped = false): CheckResult => ({
    decision,
    facts,
    heartbeat,
    stamped,
    elapsedMs: Date.now() - started,
  });

  if (inMaintenance(s)) {
    const facts = maintenanceFacts();
    return done(decide(facts, s.thresholds), facts);
  }

  const sessions = opts.sessions ?? perCheckSessions(s);
  const peerDeadline = dl.within(Math.max(1, Math.floor(s.timeoutMs * PEER_SHARE)));
  const localPromise = gatherLocal(sessions, s.table, s.node, dl, (read) =>
    opts.alwaysReadReplication ? true : isStale(read.heartbeat, s.thresholds.fresh),
  );
  const peerPromise = probePeer(sessions, s.peer !== undefined, peerDeadline);
  const [local, peer] = await Promise.all([localPromise, peerPromise]);
  const facts: Facts = { maintenance: false, local: local.facts, peer };
  let decision = decide(facts, s.thresholds);

  let stamped = false;
  let stampFailed = false;
  try {
    if (decision.stamp && local.session !== undefined && local.heartbeat !== undefined) {
      if (opts.stamp) {
        await stampHeartbeat(local.session, s.table, local.heartbeat, dl);
        stamped = true;
      } else if (opts.trialStamp === true) {
        await trialStamp(local.session, s.table, local.heartbeat, dl);
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
