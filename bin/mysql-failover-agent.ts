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
 * exists: see src/answers/agent.ts for why these words. Exits 0 and never
 * writes to stderr.
 */
import { processStart, silenceStderr } from '../src/cli/executable';
import { startLbExecutable } from '../src/cli/lb-executable';
import { AGENT_OPTIONS, agentAnswer, fatalLine, TOOL, USAGE } from '../src/cli/mysql-failover-agent';
import { writeAllSync } from '../src/io/bounded-io';

/** The answer when everything else failed (an uncaught exception). */
export function fatal(): number {
  writeAllSync(1, fatalLine());
  return 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  silenceStderr();
  const startedAt = processStart();
  const start = startLbExecutable(TOOL, USAGE, AGENT_OPTIONS, argv);
  if (start.done) {
    writeAllSync(1, start.text);
    return 0;
  }
  writeAllSync(1, await agentAnswer(start, startedAt));
  return 0;
}
