/**
 * snmpd executable, two ways:
 *
 * - `extend` (the default): prints exactly `100` (take traffic) or `200`
 *   (fail over) and a newline, exits 0, and never writes to stderr: snmpd
 *   would pass stray output on to the load balancer, and it runs `extend`
 *   synchronously, so the answer comes within --timeout whatever happens.
 * - `--persist`: stays running under snmpd's `pass_persist`, keeps its
 *   connections and answers snmpd's requests on stdin/stdout until snmpd
 *   closes the pipe (src/cli/mysql-failover-snmp-persist.ts). stdout
 *   carries nothing but protocol answers, stderr nothing at all.
 */
import { writeSync } from 'node:fs';
import { SNMP_DOWN } from '../src/answers/snmp';
import { processStart, silenceStderr } from '../src/cli/executable';
import { startLbExecutable } from '../src/cli/lb-executable';
import { extendAnswer, SNMP_OPTIONS, TOOL, USAGE, wantsPersist } from '../src/cli/mysql-failover-snmp';

/** Set once main() chose pass_persist: from then on stdout belongs to the protocol. */
let persisting = false;

/** The answer when everything else failed (an uncaught exception): fail over, say nothing else. */
export function fatal(): number {
  // Under pass_persist a stray "200" would be read as the answer to some
  // request; saying nothing lets snmpd see the pipe close and start afresh.
  if (persisting) return 0;
  try {
    writeSync(1, `${SNMP_DOWN}\n`);
  } catch {
    // stdout gone: nothing left to tell anyone
  }
  return 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  silenceStderr();
  const startedAt = processStart();
  const start = startLbExecutable(TOOL, USAGE, SNMP_OPTIONS, argv);
  if (start.done) {
    writeSync(1, start.text);
    return 0;
  }
  if (wantsPersist(start, argv)) {
    persisting = true;
    // Loaded only here: the resident engine and its hook queue are start-up cost every `extend` run would pay.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runPersist } = require('../src/cli/mysql-failover-snmp-persist') as typeof import('../src/cli/mysql-failover-snmp-persist');
    return runPersist(start);
  }
  writeSync(1, await extendAnswer(start, startedAt));
  return 0;
}
