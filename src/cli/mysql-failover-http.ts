/**
 * mysql-failover-http, run per connection by xinetd or a systemd socket unit
 * with `Accept=yes`: its help, and the one exchange on stdin/stdout.
 */
import { errorDecision } from '../core/decide';
import { COMMON_OPTIONS, type OptionSpec } from '../config/option-specs';
import { parseRequest, rejectResponse, verdictResponse, type ParsedRequest } from '../answers/http';
import { readHttpRequest } from '../answers/http-request';
import { lbProbe, readLbConfig, type LbCommandLine } from './lb-executable';

export const TOOL = 'mysql-failover-http';

export const HTTP_OPTIONS: readonly OptionSpec[] = COMMON_OPTIONS;

export const USAGE = `Usage: ${TOOL} [OPTIONS]

Answers one HTTP health check on stdin/stdout (run it from xinetd or a
systemd socket unit with Accept=yes): 200 OK when this node may take
traffic, 503 Service Unavailable when the load balancer should fail over.
GET, HEAD and OPTIONS; the answer arrives within --timeout.`;

/** The answer when everything else failed: fail over. */
export function fatalResponse(): string {
  return verdictResponse(errorDecision({ code: 'INTERNAL', message: 'internal error' }), 'GET');
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

/**
 * The request first (a peer that answers without reading makes HAProxy
 * report "Recv failure"); a malformed one gets 400 without touching the
 * database, a good one the probe's verdict. Never rejects.
 */
export async function httpAnswer(start: LbCommandLine, startedAt: number): Promise<string> {
  const request = await readRequest();
  if (!request.ok) return rejectResponse(request);
  return verdictResponse(await lbProbe(TOOL, readLbConfig(start, HTTP_OPTIONS), startedAt, { namesReason: true }), request.method);
}
