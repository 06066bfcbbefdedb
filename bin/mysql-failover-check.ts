/**
 * The executable for people at a shell:
 *   status (default)  the facts and the decision path in words (--json for scripts);
 *                     the same verdict the load balancer would get, without
 *                     stamping unless --stamp
 *   pool              both nodes side by side: which would take traffic, and why
 *   setup             creates the heartbeat database/table if missing, prints the GRANTs
 *   serve             the resident mode: HTTP and agent-check listeners answering from
 *                     kept sessions (src/resident/)
 *   recover           ends a failover latch (state failed) once the node caught up
 *   oid NAME          numeric OIDs of an snmpd `extend NAME`
 *   pool              both nodes side by side: which would take traffic, and why
 *   demo              the job, live, on a throwaway MariaDB pair (--step, --keep, --stop)
 * Exit: 0 ok/UP (serve: stopped by SIGTERM/SIGINT), 1 DOWN or failed (pool: degraded; 3 none), 2 usage.
 * The commands are in src/cli/mysql-failover-check.ts.
 */
import { processStart } from '../src/cli/executable';
import { EXIT_DOWN, EXIT_OK, parseCommandLine, reportFailure, runCommand, TOOL, type Command } from '../src/cli/mysql-failover-check';
import { Terminal } from '../src/cli/terminal';

const terminal = new Terminal();

/** An uncaught exception: say so, exit like a DOWN. */
export function fatal(): number {
  terminal.err(`${TOOL}: internal error\n`);
  return EXIT_DOWN;
}

export async function main(argv: readonly string[]): Promise<number> {
  const startedAt = processStart();
  let command: Command;
  try {
    command = parseCommandLine(argv);
  } catch (e) {
    // A command line of the wrong shape is answered on stderr only, even with --json.
    return reportFailure(terminal, e, false);
  }
  if (command.name === 'help' || command.name === 'version') {
    terminal.out(command.text);
    return EXIT_OK;
  }
  try {
    return await runCommand(command, startedAt, terminal);
  } catch (e) {
    return reportFailure(terminal, e, command.json);
  }
}
