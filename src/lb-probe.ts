/**
 * The load-balancer probe shared by the SNMP, HTTP and agent executables:
 * settings, check, stamp, log line, all under one hard deadline, and never a
 * rejection: whatever happens ends in a Decision (DOWN `error` for the
 * unexpected), because the LB needs an answer, not a stack trace.
 */
import { errorDecision, type Decision } from './decide';
import { CheckError } from './errors';
import { factError } from './facts';
import { guardedCheck } from './guarded-check';
import { formatLogLine, logDecision } from './log-file';
import { toSystemLog } from './io/system-log';
import { checkSettings, helpText, parseArgs, redact, resolveOptions, type OptionSpec, type ParsedArgs } from './settings';
import { VERSION } from './process';

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
    const clean = {
      ...decision,
      detail: redact(decision.detail, secrets),
      steps: decision.steps.map((s) => redact(s, secrets)),
      warnings: decision.warnings.map((w) => redact(w, secrets)),
    };
    reportDecision(tool, logFile, clean, elapsedMs);
    return { decision: clean, elapsedMs };
  };

  try {
    const options = resolveOptions(args, specs);
    const settings = checkSettings(options, { timeout: LB_DEFAULT_TIMEOUT });
    logFile = settings.logFile;
    secrets = settings.secrets;
    const outcome = await guardedCheck(settings, { stamp: true, alwaysReadReplication: false }, startedAt);
    return finish(outcome.timedOut ? outcome.decision : outcome.result.decision);
  } catch (e) {
    return finish(errorDecision(factError(e)));
  }
}

/**
 * The start of every LB executable: options parsed strictly; --help and
 * --version answered; a usage error kept, not thrown, because the balancer
 * still gets its (fail-safe) answer.
 */
export type LbStart =
  | { done: true; text: string }
  | { done: false; args: ParsedArgs | undefined; usageError: CheckError | undefined };

export function startLbExecutable(tool: string, usage: string, specs: readonly OptionSpec[], argv: readonly string[]): LbStart {
  let args: ParsedArgs | undefined;
  let usageError: CheckError | undefined;
  try {
    args = parseArgs(argv, specs);
    if (args.positionals.length > 0) usageError = new CheckError('USAGE', 'no arguments expected');
  } catch (e) {
    usageError = e instanceof CheckError ? e : new CheckError('USAGE', 'bad arguments', { cause: e });
  }
  if (args?.values.get('help') === true) return { done: true, text: helpText(usage, specs) };
  if (args?.values.get('version') === true) return { done: true, text: `${tool} ${VERSION}\n` };
  return { done: false, args, usageError };
}

/** The verdict for a started LB executable: the probe, or DOWN `error` for a usage error; never rejects. */
export async function lbDecision(
  tool: string,
  start: { args: ParsedArgs | undefined; usageError: CheckError | undefined },
  specs: readonly OptionSpec[],
  startedAt: number,
): Promise<Decision> {
  if (start.args === undefined || start.usageError !== undefined) {
    return errorDecision(factError(start.usageError ?? new CheckError('USAGE', 'bad arguments')));
  }
  return (await lbProbe(tool, start.args, specs, startedAt)).decision;
}

/**
 * The --log-file line; where no log file is usable, the system log: a line
 * the operator asked for when the file cannot take it, and an `error`
 * verdict (a broken option file, a bad option) always, because under snmpd
 * nothing else would ever show it.
 */
export function reportDecision(tool: string, logFile: string | undefined, d: Decision, elapsedMs: number): void {
  const fields = { tool, verdict: d.verdict, reason: d.reason, detail: d.detail, elapsedMs, warnings: d.warnings };
  if (logFile !== undefined) {
    const failed = logDecision(logFile, tool, d, elapsedMs);
    if (failed === undefined) return;
    const code = (failed as NodeJS.ErrnoException).code ?? 'error';
    toSystemLog(tool, `cannot append to --log-file ${logFile} (${code}): ${formatLogLine(fields).trim()}`);
    return;
  }
  if (d.reason === 'error') toSystemLog(tool, formatLogLine(fields).trim());
}
