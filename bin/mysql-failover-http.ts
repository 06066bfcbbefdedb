/**
 * HTTP health check for load balancers (HAProxy `option httpchk`, F5, LVS,
 * keepalived HTTP_GET): one exchange over stdin/stdout, run per connection
 * by xinetd or a systemd socket unit with `Accept=yes`.
 *
 * It reads the request first (at most 8 KiB and 1 s: a peer that answers
 * without reading makes HAProxy report "Recv failure"), then answers
 * `200 OK` when this node may take traffic and `503 Service Unavailable` when
 * the load balancer should fail over, with the same options, deadline and
 * heartbeat stamp as the SNMP executable. A malformed request gets 400 and
 * no database work. Exits 0 and never writes to stderr.
 */
import { processStart, silenceStderr } from '../src/cli/executable';
import { startLbExecutable } from '../src/cli/lb-executable';
import { fatalResponse, HTTP_OPTIONS, httpAnswer, TOOL, USAGE } from '../src/cli/mysql-failover-http';
import { writeAllSync } from '../src/io/bounded-io';

/** The answer when everything else failed (an uncaught exception): fail over. */
export function fatal(): number {
  writeAllSync(1, fatalResponse());
  return 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  silenceStderr();
  const startedAt = processStart();
  const start = startLbExecutable(TOOL, USAGE, HTTP_OPTIONS, argv);
  if (start.done) {
    writeAllSync(1, start.text);
    return 0;
  }
  writeAllSync(1, await httpAnswer(start, startedAt));
  return 0;
}
