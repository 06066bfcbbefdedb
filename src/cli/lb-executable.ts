/**
 * What the three load-balancer executables (mysql-failover-snmp,
 * mysql-failover-http, mysql-failover-agent) share. The balancer needs an
 * answer, not a stack trace: a bad option is kept, not thrown, and answered
 * DOWN (`error`) like anything else that goes wrong; the probe stamps, runs
 * under one hard deadline and writes the --log-file line; nothing here
 * rejects.
 */
import { errorDecision, type Decision } from '../core/decide';
import { CheckError } from '../core/errors';
import { parseArgs, type ParsedArgs } from '../config/argv';
import { helpText } from '../config/help';
import { resolveOptions, type ResolvedOptions } from '../config/option-merge';
import type { OptionSpec } from '../config/option-specs';
import { checkSettings, optionSecrets, type CheckSettings } from '../config/settings';
import { formatLogLine, logDecision, scrubbed } from '../io/log-file';
import { toSystemLog } from '../io/system-log';
import { factError } from '../probe/facts';
import { probe, type ProbeResult } from '../probe/probe';
import { hookJob, logFailover } from '../probe/act';
import { VERSION } from './executable';

/** The command line parsed strictly; --help and --version already answered (`done`). */
export type LbStart = { done: true; text: string } | ({ done: false } & LbCommandLine);

export interface LbCommandLine {
  args: ParsedArgs | undefined;
  usageError: CheckError | undefined;
}

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

/**
 * The configuration of one LB probe: the command line merged with the option
 * files (read once), or why there is none. A usage error is answered without
 * a log line; an option-file error is logged to the command line's --log-file.
 */
export type LbConfig =
  | { kind: 'usage-error'; error: CheckError }
  | { kind: 'config-error'; error: unknown; cliLogFile: string | undefined }
  | { kind: 'ready'; options: ResolvedOptions; cliLogFile: string | undefined };

export function readLbConfig(start: LbCommandLine, specs: readonly OptionSpec[]): LbConfig {
  const { args, usageError } = start;
  if (args === undefined || usageError !== undefined) {
    return { kind: 'usage-error', error: usageError ?? new CheckError('USAGE', 'bad arguments') };
  }
  const cli = args.values.get('log-file');
  const cliLogFile = typeof cli === 'string' ? cli : undefined;
  try {
    return { kind: 'ready', options: resolveOptions(args, specs), cliLogFile };
  } catch (e) {
    return { kind: 'config-error', error: e, cliLogFile };
  }
}

/**
 * The LB executable's probe: stamping, within --timeout of `startedAt` (the
 * process start, so Node's start-up counts), logged. Never rejects.
 * `answer.namesReason`: whether the answer carries the reason (HTTP's body
 * does; snmp's 100 and the agent's `up` do not, so they need not ask the
 * peer while the heartbeat is fresh: ProbeOptions.skipPeerWhenFresh).
 */
export async function lbProbe(tool: string, config: LbConfig, startedAt: number, answer: { namesReason: boolean }): Promise<Decision> {
  if (config.kind === 'usage-error') {
    const decision = errorDecision(factError(config.error));
    reportDecision(tool, undefined, decision, Date.now() - startedAt, []);
    return decision;
  }
  let logFile = config.cliLogFile;
  let secrets: readonly string[] = [];
  let decision: Decision;
  try {
    if (config.kind === 'config-error') throw config.error;
    secrets = optionSecrets(config.options);
    const settings = checkSettings(config.options);
    logFile = settings.logFile;
    const result = await probe(
      settings,
      { stamp: true, alwaysReadReplication: false, failover: { mode: 'write', actor: 'probe' }, skipPeerWhenFresh: !answer.namesReason },
      startedAt,
    );
    decision = result.decision;
    actOnFailover(tool, settings, result);
  } catch (e) {
    decision = errorDecision(factError(e));
  }
  reportDecision(tool, logFile, decision, Date.now() - startedAt, secrets);
  return decision;
}

/**
 * The failover state's lines and hooks: the hooks run detached, so the
 * answer never waits for them (docs/design.md, "Acting on transitions").
 */
function actOnFailover(tool: string, settings: CheckSettings, result: ProbeResult): void {
  if (result.failover === undefined) return;
  logFailover(tool, settings, result);
  const job = hookJob(settings, result, tool);
  if (job === undefined) return;
  // Loaded only when a hook runs: child_process is start-up cost every other probe would pay.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startDetachedHooks } = require('../io/hook-job') as typeof import('../io/hook-job');
  startDetachedHooks(job);
}

/**
 * The --log-file line; where no log file is usable, the system log: a line
 * the operator asked for when the file cannot take it, and an `error`
 * verdict (a broken option file, a bad option) always, because under snmpd
 * nothing else would ever show it.
 */
export function reportDecision(
  tool: string,
  logFile: string | undefined,
  d: Decision,
  elapsedMs: number,
  secrets: readonly string[],
): void {
  const fields = scrubbed({ tool, verdict: d.verdict, reason: d.reason, detail: d.detail, elapsedMs, warnings: d.warnings }, secrets);
  if (logFile !== undefined) {
    const failed = logDecision(logFile, tool, d, elapsedMs, secrets);
    if (failed === undefined) return;
    const code = (failed as NodeJS.ErrnoException).code ?? 'error';
    toSystemLog(tool, `cannot append to --log-file ${logFile} (${code}): ${formatLogLine(fields).trim()}`);
    return;
  }
  if (d.reason === 'error') toSystemLog(tool, formatLogLine(fields).trim());
}
