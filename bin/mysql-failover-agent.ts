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
import { COMMON_OPTIONS, resolveOptions, type OptionSpec, type ParsedArgs } from '../src/config/settings';
import { lbDecision, startLbExecutable } from '../src/cli/lb-executable';
import { errorDecision } from '../src/core/decide';
import { CheckError } from '../src/core/errors';
import { AGENT_MAINTENANCE_OPTION, agentLine, parseMaintenanceState, type MaintenanceState } from '../src/answers/agent';
import { MAX_REQUEST_BYTES } from '../src/answers/http';
import { readBounded, writeAllSync } from '../src/io/bounded-io';
import { silenceStderr, processStart } from '../src/cli/executable';

const TOOL = 'mysql-failover-agent';

export const AGENT_OPTIONS: readonly OptionSpec[] = [
  ...COMMON_OPTIONS.filter((s) => s.name !== 'help' && s.name !== 'version'),
  AGENT_MAINTENANCE_OPTION,
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
  const start = startLbExecutable(TOOL, USAGE, AGENT_OPTIONS, argv);
  if (start.done) {
    writeAllSync(1, start.text);
    return 0;
  }
  drainInput();
  let maintenance: MaintenanceState = 'maint';
  let usageError = start.usageError;
  if (start.args !== undefined && usageError === undefined) {
    try {
      maintenance = maintenanceState(start.args);
    } catch (e) {
      // A bad option must not take the answer away from HAProxy: fail safe.
      usageError = e instanceof CheckError ? e : new CheckError('USAGE', 'bad --agent-maintenance', { cause: e });
    }
  }
  const decision = await lbDecision(TOOL, { args: start.args, usageError }, AGENT_OPTIONS, startedAt);
  writeAllSync(1, agentLine(decision, maintenance));
  return 0;
}
