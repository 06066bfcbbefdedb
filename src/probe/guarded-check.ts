/**
 * A check for monitoring and for people (check_mysql_failover,
 * mysql-failover-check status): runCheck under one hard deadline that
 * includes Node's own start-up, like the LB probe, but returning the whole
 * result (facts, heartbeat) instead of just the decision.
 */
import { Deadline } from '../core/deadline';
import { runCheck, type CheckOptions, type CheckResult } from './probe';
import { errorDecision, type Decision } from '../core/decide';
import type { CheckSettings } from '../config/settings';

/** Kept back from the timeout for printing the answer after the check gives up. */
export const ANSWER_MARGIN_MS = 100;
/** The guard fires this long after the check's own deadline, so a step's own (more telling) timeout error wins. */
const GUARD_SLACK_MS = 40;

/** When the guard fires, `decision` is the DOWN `error` every caller reports for it. */
export type GuardedResult = { timedOut: false; result: CheckResult } | { timedOut: true; elapsedMs: number; decision: Decision };

export async function guardedCheck(settings: CheckSettings, opts: CheckOptions, startedAt: number): Promise<GuardedResult> {
  const deadline = new Deadline(startedAt + settings.timeoutMs - ANSWER_MARGIN_MS);
  let timer: NodeJS.Timeout | undefined;
  // The last line of defence: should any step ignore its deadline, the answer still goes out in time.
  const guard = new Promise<GuardedResult>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          timedOut: true,
          elapsedMs: Date.now() - startedAt,
          decision: errorDecision({ code: 'TIMEOUT', message: 'check did not finish within --timeout' }),
        }),
      Math.max(0, deadline.remaining()) + GUARD_SLACK_MS,
    );
  });
  const check = runCheck(settings, opts, deadline).then((result): GuardedResult => ({ timedOut: false, result }));
  try {
    return await Promise.race([check, guard]);
  } finally {
    clearTimeout(timer);
  }
}
