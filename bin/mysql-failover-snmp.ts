/**
 * snmpd `extend` executable: prints exactly `100` (take traffic) or `200`
 * (fail over) and a newline, exits 0, and never writes to stderr: snmpd
 * would pass stray output on to the load balancer, and it runs `extend`
 * synchronously, so the answer comes within --timeout whatever happens.
 */
import { writeSync } from 'node:fs';
import { COMMON_OPTIONS } from '../src/settings';
import { lbDecision, startLbExecutable } from '../src/lb-probe';
import { snmpAnswer, SNMP_DOWN } from '../src/snmp';
import { silenceStderr, processStart } from '../src/process';

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
  const start = startLbExecutable(TOOL, USAGE, COMMON_OPTIONS, argv);
  if (start.done) {
    writeSync(1, start.text);
    return 0;
  }
  // A bad option must not take the answer away from the LB: lbDecision fails safe.
  writeSync(1, `${snmpAnswer((await lbDecision(TOOL, start, COMMON_OPTIONS, startedAt)).verdict)}\n`);
  return 0;
}
