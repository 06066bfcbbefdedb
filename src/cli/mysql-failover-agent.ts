/**
 * mysql-failover-agent, HAProxy's agent-check run per connection by xinetd
 * or a systemd socket unit with `Accept=yes`: its options and help, and the
 * one answer on stdin/stdout. Why these words: src/answers/agent.ts.
 */
import { errorDecision } from '../core/decide';
import { CheckError } from '../core/errors';
import { COMMON_OPTIONS, type OptionSpec } from '../config/option-specs';
import { readBounded } from '../io/bounded-io';
import {
  AGENT_MAINTENANCE_OPTION,
  agentLine,
  DEFAULT_MAINTENANCE_STATE,
  parseMaintenanceState,
  type MaintenanceState,
} from '../answers/agent';
import { valueOf } from '../config/option-merge';
import { MAX_REQUEST_BYTES } from '../answers/http';
import { lbProbe, readLbConfig, type LbCommandLine, type LbConfig } from './lb-executable';

export const TOOL = 'mysql-failover-agent';

export const AGENT_OPTIONS: readonly OptionSpec[] = [
  ...COMMON_OPTIONS.filter((s) => s.name !== 'help' && s.name !== 'version'),
  AGENT_MAINTENANCE_OPTION,
  ...COMMON_OPTIONS.filter((s) => s.name === 'help' || s.name === 'version'),
];

export const USAGE = `Usage: ${TOOL} [OPTIONS]

Answers one HAProxy agent-check on stdin/stdout (run it from xinetd or a
systemd socket unit with Accept=yes): "up ready" when this node may take
traffic, "down ready #REASON" when it may not, and "maint #maintenance"
(or "drain #maintenance") while the maintenance file exists, so that
removing the file brings the server back. The answer arrives within --timeout.`;

/** The answer when everything else failed: down. */
export function fatalLine(): string {
  return agentLine(errorDecision({ code: 'INTERNAL', message: 'internal error' }));
}

/** Reads (and drops) whatever HAProxy sends, e.g. an agent-send string. */
function drainInput(): void {
  try {
    void readBounded(process.stdin, { maxBytes: MAX_REQUEST_BYTES, timeoutMs: 60_000 });
  } catch {
    // no stdin: nothing to drain
  }
}

/**
 * The agent's line; never rejects. The option files are read once, for both
 * --agent-maintenance and the probe; a bad --agent-maintenance is a usage
 * error, answered DOWN (error) like any other.
 */
export async function agentAnswer(start: LbCommandLine, startedAt: number): Promise<string> {
  drainInput();
  let config: LbConfig = readLbConfig(start, AGENT_OPTIONS);
  let maintenance: MaintenanceState = DEFAULT_MAINTENANCE_STATE;
  if (config.kind === 'ready') {
    try {
      maintenance = parseMaintenanceState(valueOf(config.options, 'agent-maintenance'));
    } catch (e) {
      // A bad option must not take the answer away from HAProxy: fail safe.
      config = {
        kind: 'usage-error',
        error: e instanceof CheckError ? e : new CheckError('USAGE', 'bad --agent-maintenance', { cause: e }),
      };
    }
  }
  return agentLine(await lbProbe(TOOL, config, startedAt, { namesReason: false }), maintenance);
}
