/**
 * Nagios/Icinga plugin (docs/design.md, "The Nagios states"): read-only, it
 * never stamps the heartbeat (that would hide missed load-balancer probes).
 * Prints `MYSQL FAILOVER <STATE> - <summary> | <perfdata>` (+ detail lines
 * with -v) and exits 0/1/2/3, within -t whatever the servers do. The flow is
 * in src/cli/check_mysql_failover.ts.
 */
import { EXIT_CODE, unknownOutput } from '../src/answers/nagios';
import { parsePluginCommandLine, runPlugin, unknownAnswer, type PluginCommand } from '../src/cli/check_mysql_failover';
import { processStart, silenceStderr } from '../src/cli/executable';
import { Terminal } from '../src/cli/terminal';

const terminal = new Terminal();

/** The answer when everything else failed (an uncaught exception). */
export function fatal(): number {
  try {
    terminal.out(unknownOutput('internal error'));
  } catch {
    // stdout gone: nothing left to tell anyone
  }
  return EXIT_CODE.UNKNOWN;
}

export async function main(argv: readonly string[]): Promise<number> {
  // Icinga 2 folds stderr into the plugin output: a Node warning must not reach it.
  silenceStderr();
  const startedAt = processStart();
  let command: PluginCommand;
  try {
    command = parsePluginCommandLine(argv);
  } catch (e) {
    return unknownAnswer(terminal, e, true);
  }
  // -h and -V exit with UNKNOWN, as monitoring-plugins' own plugins do.
  if (command.name !== 'check') {
    terminal.out(command.text);
    return EXIT_CODE.UNKNOWN;
  }
  try {
    return await runPlugin(command, startedAt, terminal);
  } catch (e) {
    return unknownAnswer(terminal, e, false);
  }
}
