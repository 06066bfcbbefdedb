/**
 * HAProxy agent-check responder: one line over stdin/stdout, run per
 * connection by xinetd or a systemd socket unit with `Accept=yes`
 * (`server ... agent-check agent-port N`).
 *
 * HAProxy sends nothing unless `agent-send` is configured, so the check
 * starts at once; whatever does arrive is read (at most 8 KiB) and ignored,
 * so that closing the socket never resets it under our answer. The answer is
 * `up ready`, `down ready #REASON`, or `maint #maintenance` (`drain
 * #maintenance` with --agent-maintenance drain) while the maintenance file
 * exists: see src/agent.ts for why these words. Exits 0 and never writes to
 * stderr.
 */
import { COMMON_OPTIONS, helpText, parseArgs, resolveOptions, type OptionSpec, type ParsedArgs } from '../src/settings';
import { lbProbe } from '../src/lb-probe';
import { errorDecision, type Decision } from '../src/decide';
import { factError } from '../src/facts';
import { CheckError } from '../src/errors';
import { agentLine, parseMaintenanceState, type MaintenanceState } from '../src/agent';
import { MAX_REQUEST_BYTES } from '../src/http';
import { readBounded, writeAllSync } from '../src/stdio-exchange';
import { silenceStderr, processStart, VERSION } from '../src/process';

const TOOL = 'mysql-failover-agent';

export const AGENT_OPTIONS: readonly OptionSpec[] = [
  ...COMMON_OPTIONS.filter((s) => s.name !== 'help' && s.name !== 'version'),
  {
    name: 'agent-maintenance',
    kind: 'string',
    arg: 'STATE',
    default: 'maint',
    help: 'maint or drain: the state HAProxy is told while the maintenance file exists',
  },
  ...COMMON_OPTIONS.filter((s) => s.name === 'help' || s.name === 'version'),
];

const USAGE = `Usage: ${TOOL} [OPTIONS]

Answers one HAProxy agent-check on stdin/stdout (run it from xinetd or a
systemd socket unit with Accept=yes): "up ready" when this node may take
traffic, "down ready #REASON" when it may not, and "maint #maintenance"
(or "drain #maintenance") while the maintenance file exists, so that
removing the file brings the server back. The answer arrives within --timeout.`;

/** The answer when everything else failed (an uncaught exception). */
export function fatal(): number {
  writeAllSync(1, agentLine(errorDecision({ code: 'INTERNAL', message: 'internal error' })));
  return 0;
}

/** Reads (and drops) whatever HAProxy sends, e.g. an agent-send string. */
function drainInput(): void {
  try {
    void readBounded(process.stdin, { maxBytes: MAX_REQUEST_BYTES, timeoutMs: 60_000 });
  } catch {
    // no stdin: nothing to drain
  }
}

/** --agent-maintenance from the command line or the option files; a bad value is a usage error. */
function maintenanceState(args: ParsedArgs): MaintenanceState {
  let text: string | undefined;
  try {
    text = resolveOptions(args, AGENT_OPTIONS).get('agent-maintenance');
  } catch {
    // Unreadable option files: lbProbe meets the same error and answers DOWN (error).
    return 'maint';
  }
  return parseMaintenanceState(text ?? 'maint');
}

export async function main(argv: readonly string[]): Promise<number> {
  silenceStderr();
  const startedAt = processStart();
  let args: ParsedArgs | undefined;
  let usageError: CheckError | undefined;
  try {
    args = parseArgs(argv, AGENT_OPTIONS);
    if (args.positionals.length > 0) usageError = new CheckError('USAGE', 'no arguments expected');
  } catch (e) {
    usageError = e instanceof CheckError ? e : new CheckError('USAGE', 'bad arguments');
  }
  if (args?.values.get('help') === true) {
    writeAllSync(1, helpText(USAGE, AGENT_OPTIONS));
    return 0;
  }
  if (args?.values.get('version') === true) {
    writeAllSync(1, `${TOOL} ${VERSION}\n`);
    return 0;
  }
  drainInput();

  let decision: Decision;
  let maintenance: MaintenanceState = 'maint';
  try {
    if (args === undefined || usageError !== undefined) {
      throw usageError ?? new CheckError('USAGE', 'bad arguments');
    }
    maintenance = maintenanceState(args);
    decision = (await lbProbe(TOOL, args, AGENT_OPTIONS, startedAt)).decision;
  } catch (e) {
    // A bad option must not take the answer away from HAProxy: fail safe.
    decision = errorDecision(factError(e));
  }
  writeAllSync(1, agentLine(decision, maintenance));
  return 0;
}
