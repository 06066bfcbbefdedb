/**
 * The load-balancer probe shared by the SNMP, HTTP and agent executables:
 * settings, check, stamp, log line, all under one hard deadline, and never a
 * rejection: whatever happens ends in a Decision (DOWN `error` for the
 * unexpected), because the LB needs an answer, not a stack trace.
 */
import { errorDecision, type Decision } from './decide';
import { toCheckError } from './errors';
import { factError } from './facts';
import { guardedCheck } from './guarded-check';
import { appendLogLine } from './log-file';
import { checkSettings, redact, resolveOptions, type OptionSpec, type ParsedArgs } from './settings';

export const LB_DEFAULT_TIMEOUT = '3';

export interface ProbeOutcome {
  decision: Decision;
  elapsedMs: number;
}

/**
 * Runs one LB probe. `startedAt` is when the process started, so the deadline
 * covers Node's own start-up too.
 */
export async function lbProbe(
  tool: string,
  args: ParsedArgs,
  specs: readonly OptionSpec[],
  startedAt: number,
): Promise<ProbeOutcome> {
  let logFile = typeof args.values.get('log-file') === 'string' ? (args.values.get('log-file') as string) : undefined;
  let secrets: string[] = [];
  const finish = (decision: Decision): ProbeOutcome => {
    const elapsedMs = Date.now() - startedAt;
    const clean = { ...decision, detail: redact(decision.detail, secrets), steps: decision.steps.map((s) => redact(s, secrets)) };
    if (logFile !== undefined) {
      // A log that cannot be written must not change the answer.
      appendLogLine(logFile, { tool, verdict: clean.verdict, reason: clean.reason, detail: clean.detail, elapsedMs });
    }
    return { decision: clean, elapsedMs };
  };

  try {
    const options = resolveOptions(args, specs);
    const settings = checkSettings(options, { timeout: LB_DEFAULT_TIMEOUT });
    logFile = settings.logFile;
    secrets = settings.secrets;
    const outcome = await guardedCheck(settings, { stamp: true, alwaysReadReplication: false }, startedAt);
    const decision = outcome.timedOut
      ? errorDecision({ code: 'TIMEOUT', message: 'check did not finish within --timeout' })
      : outcome.result.decision;
    return finish(decision);
  } catch (e) {
    return finish(errorDecision(factError(toCheckError(e))));
  }
}
