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
import { COMMON_OPTIONS, helpText, parseArgs, type ParsedArgs } from '../src/settings';
import { lbProbe } from '../src/lb-probe';
import { errorDecision, type Decision } from '../src/decide';
import { factError } from '../src/facts';
import { CheckError } from '../src/errors';
import {
  headEnd,
  MAX_REQUEST_BYTES,
  parseRequest,
  REQUEST_TIMEOUT_MS,
  rejectResponse,
  verdictResponse,
  type ParsedRequest,
} from '../src/http';
import { readBounded, writeAllSync } from '../src/stdio-exchange';
import { silenceStderr, processStart, VERSION } from '../src/process';

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
  const r = await readBounded(stdin, {
    maxBytes: MAX_REQUEST_BYTES,
    timeoutMs: REQUEST_TIMEOUT_MS,
    complete: (data) => headEnd(data) >= 0,
  });
  return parseRequest(r.data, r.end);
}

export async function main(argv: readonly string[]): Promise<number> {
  silenceStderr();
  const startedAt = processStart();
  let args: ParsedArgs | undefined;
  let usageError: CheckError | undefined;
  try {
    args = parseArgs(argv, COMMON_OPTIONS);
    if (args.positionals.length > 0) usageError = new CheckError('USAGE', 'no arguments expected');
  } catch (e) {
    usageError = e instanceof CheckError ? e : new CheckError('USAGE', 'bad arguments');
  }
  if (args?.values.get('help') === true) {
    writeAllSync(1, helpText(USAGE, COMMON_OPTIONS));
    return 0;
  }
  if (args?.values.get('version') === true) {
    writeAllSync(1, `${TOOL} ${VERSION}\n`);
    return 0;
  }

  const request = await readRequest();
  if (!request.ok) {
    writeAllSync(1, rejectResponse(request));
    return 0;
  }

  let decision: Decision;
  if (args === undefined || usageError !== undefined) {
    // A bad option must not take the answer away from the LB: fail safe.
    decision = errorDecision(factError(usageError ?? new CheckError('USAGE', 'bad arguments')));
  } else {
    try {
      decision = (await lbProbe(TOOL, args, COMMON_OPTIONS, startedAt)).decision;
    } catch (e) {
      decision = errorDecision(factError(e));
    }
  }
  writeAllSync(1, verdictResponse(decision, request.method));
  return 0;
}
