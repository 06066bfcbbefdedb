/**
 * snmpd `extend` executable: prints exactly `100` (take traffic) or `200`
 * (fail over) and a newline, exits 0, and never writes to stderr: snmpd
 * would pass stray output on to the load balancer, and it runs `extend`
 * synchronously, so the answer comes within --timeout whatever happens.
 */
import { writeSync } from 'node:fs';
import { COMMON_OPTIONS, helpText, parseArgs } from '../src/settings';
import { lbProbe } from '../src/lb-probe';
import { snmpAnswer, SNMP_DOWN } from '../src/snmp';
import { errorDecision } from '../src/decide';
import { factError } from '../src/facts';
import { silenceStderr, processStart, VERSION } from '../src/process';

const TOOL = 'mysql-failover-snmp';

const USAGE = `Usage: ${TOOL} [OPTIONS]

Prints 100 when this node may take traffic and 200 when the load balancer
should fail over, for snmpd's extend: the answer arrives within --timeout.`;

/** The answer when everything else failed (an uncaught exception): fail over, say nothing else. */
export function fatal(): number {
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
  let args;
  try {
    args = parseArgs(argv, COMMON_OPTIONS);
  } catch {
    // A bad option must not take the answer away from the LB: fail safe.
    writeSync(1, `${SNMP_DOWN}\n`);
    return 0;
  }
  if (args.values.get('help') === true) {
    writeSync(1, helpText(USAGE, COMMON_OPTIONS));
    return 0;
  }
  if (args.values.get('version') === true) {
    writeSync(1, `${TOOL} ${VERSION}\n`);
    return 0;
  }
  if (args.positionals.length > 0) {
    writeSync(1, `${SNMP_DOWN}\n`);
    return 0;
  }
  let answer: string;
  try {
    const outcome = await lbProbe(TOOL, args, COMMON_OPTIONS, startedAt);
    answer = snmpAnswer(outcome.decision.verdict);
  } catch (e) {
    answer = snmpAnswer(errorDecision(factError(e)).verdict);
  }
  writeSync(1, `${answer}\n`);
  return 0;
}
