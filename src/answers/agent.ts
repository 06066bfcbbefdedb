/**
 * HAProxy agent-check answers, pure: verdict -> one line.
 *
 * HAProxy connects to the agent (`agent-check agent-port N`), reads one line
 * ended by CR or LF and applies its words (configuration manual, server
 * option "agent-check"; the parser is tcpcheck_agent_expect_reply):
 * - a health word, `up` or `down` (also `fail`, `stopped`), sets the
 *   operational state; `down` marks the server DOWN at once, `up` brings it
 *   back if the regular health check agrees;
 * - an admin word, `ready`, `drain` or `maint`, sets the administrative
 *   state; `ready` cancels DRAIN and MAINT, and MAINT stops the regular
 *   health checks (not the agent's, which is how `ready` gets through);
 * - text after `#` describes a health change (shown in the stats), and is
 *   only used when a health word is present;
 * - a word left out leaves that state as it was, and "only the agent may
 *   revert its own actions".
 *
 * So every line names both states that the verdict decides, which makes each
 * answer correct on its own whatever HAProxy was told before (this process
 * lives for one connection and remembers nothing):
 *
 * | verdict                   | line                          |
 * |---------------------------|-------------------------------|
 * | UP                        | `up ready`                    |
 * | DOWN, maintenance         | `maint #maintenance` (or `drain #maintenance` with --agent-maintenance drain) |
 * | DOWN, any other reason    | `down ready #REASON`          |
 *
 * - `ready` on DOWN: the maintenance file is gone, so the MAINT/DRAIN the
 *   agent set must go too; the server then shows DOWN (the truth) rather than
 *   a maintenance nobody is doing, and its regular checks run again.
 * - No health word with maint/drain: the regular check (our HTTP responder
 *   answers 503 in maintenance) and the agent then never contradict each
 *   other; an `up` here would reset the check's health on every agent run.
 * - MAINT rather than DRAIN by default: DRAIN still accepts connections that
 *   persistence sends (a `stick on dst` table, common in front of a
 *   master-master pair to keep writes on one node, keeps sending new
 *   connections to a drained server), while MAINT takes no new connection at
 *   all and shows as an administrative state, not a failure. Neither closes
 *   the connections already open. DRAIN is there for backends whose only
 *   verdict source is the agent and that want persistent clients to finish.
 */
import type { Reason, Verdict } from '../core/decide';
import { CheckError } from '../core/errors';

export type MaintenanceState = 'maint' | 'drain';

export const MAINTENANCE_STATES: readonly MaintenanceState[] = ['maint', 'drain'];

/** MAINT, for the reasons above; also the answer when --agent-maintenance could not be read. */
export const DEFAULT_MAINTENANCE_STATE: MaintenanceState = 'maint';

/** The option choosing it, for every executable that answers agent checks. */
export const AGENT_MAINTENANCE_OPTION = {
  name: 'agent-maintenance',
  kind: 'string',
  arg: 'STATE',
  default: DEFAULT_MAINTENANCE_STATE,
  help: 'maint or drain: the state HAProxy is told while the maintenance file exists',
} as const;

export function parseMaintenanceState(text: string): MaintenanceState {
  const v = text.trim().toLowerCase();
  if (v === 'maint' || v === 'drain') return v;
  throw new CheckError('USAGE', `--agent-maintenance must be maint or drain, got ${JSON.stringify(text)}`);
}

/** The agent's answer, one line ended by a newline. */
export function agentLine(
  decision: { verdict: Verdict; reason: Reason },
  maintenance: MaintenanceState = DEFAULT_MAINTENANCE_STATE,
): string {
  if (decision.verdict === 'UP') return 'up ready\n';
  if (decision.reason === 'maintenance') return `${maintenance} #maintenance\n`;
  return `down ready #${decision.reason}\n`;
}
