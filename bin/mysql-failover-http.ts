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
import { COMMON_OPTIONS } from '../src/config/settings';
import { lbDecision, startLbExecutable } from '../src/cli/lb-executable';
import { errorDecision } from '../src/core/decide';
import { parseRequest, rejectResponse, verdictResponse, type ParsedRequest } from '../src/answers/http';
import { writeAllSync } from '../src/io/bounded-io';
import { readHttpRequest } from '../src/answers/http-request';
import { silenceStderr, processStart } from '../src/cli/executable';

const TOOL = 'mysql-failover-http';

const USAGE = `Usage: ${TOOL} [OPTIONS]

Answers one HTTP health check on stdin/stdout (run it from xinetd or a
systemd socket unit with Accept=yes): 200 OK when this node may take
traffic, 503 Service Unavailable when the load balancer should fail over.
GET, HEAD and OPTIONS; the answer arrives within --timeout.`;

/** The answer when everything else failed (an uncaught exception): fail over. */
export function fatal(): number {
  writeAllSync(1, verdictResponse(errorDecision({ code: 'INTERNAL', message: 'internal error' }), 'GET'));
  return 0;
}

async function readRequest(): Promise<ParsedRequest> {
  let stdin;
  try {
    stdin = process.stdin;
  } catch {
    return parseRequest(Buffer.alloc(0), 'error');
  }
  return readHttpRequest(stdin);
}

export async function main(argv: readonly string[]): Promise<number> {
  silenceStderr();
  const startedAt = processStart();
  const start = startLbExecutable(TOOL, USAGE, COMMON_OPTIONS, argv);
  if (start.done) {
    writeAllSync(1, start.text);
    return 0;
  }
  const request = await readRequest();
  if (!request.ok) {
    writeAllSync(1, rejectResponse(request));
    return 0;
  }
  writeAllSync(1, verdictResponse(await lbDecision(TOOL, start, COMMON_OPTIONS, startedAt), request.method));
  return 0;
}
