/**
 * The settings of the failover state and of acting on its events
 * (docs/design.md, "Holding a failover" and "Acting on transitions"). They
 * exist only when at least one of those options is set: with none, nothing
 * reads or writes a state file and every probe answers as the decision table
 * says, as before.
 */
import { isAbsolute } from 'node:path';
import { CheckError } from '../core/errors';
import type { FailoverPolicy } from '../core/failover-state';
import type { TableName } from '../core/heartbeat';
import { parseRuntimeAddress, parseServerRef, type RuntimeAddress, type ServerRef } from '../core/haproxy-names';
import type { Endpoint } from '../io/mysql';
import { valueOf, type ResolvedOptions } from './option-merge';
import { DEFAULT_STATE_FILE, FAILOVER_OPTIONS } from './option-specs';
import { parseSeconds } from './value-parsers';

export interface HaproxyTarget {
  address: RuntimeAddress;
  ref: ServerRef;
}

export interface FailoverSettings {
  stateFile: string;
  /** Which node the state file is for: a file written for another is refused, not reused. */
  identity: string;
  policy: FailoverPolicy;
  /** --on-event commands, absolute paths. */
  hooks: string[];
  hookTimeoutMs: number;
  haproxy: HaproxyTarget[];
}

/** The node a state file belongs to: where this node is reached and which heartbeat row is its. */
export function stateIdentity(local: Endpoint, table: TableName, node: string | undefined): string {
  const where = local.socket !== undefined ? `socket:${local.socket}` : `tcp:${local.host ?? ''}:${local.port ?? ''}`;
  return `${where} ${table.database}.${table.table}${node === undefined ? '' : ` node=${node}`}`;
}

const MAX_FLAP_LIMIT = 1000;

/** undefined when no failover option is set (today's stateless behaviour). */
export function failoverSettings(
  o: ResolvedOptions,
  local: Endpoint,
  table: TableName,
  node: string | undefined,
): FailoverSettings | undefined {
  if (!FAILOVER_OPTIONS.some((spec) => o.has(spec.name))) return undefined;
  const failback = valueOf(o, 'failback');
  if (failback !== 'auto' && failback !== 'manual') {
    throw new CheckError('USAGE', `--failback must be auto or manual, got ${JSON.stringify(failback)}`);
  }
  const flapLimitText = valueOf(o, 'flap-limit');
  if (!/^\d{1,4}$/.test(flapLimitText) || Number(flapLimitText) > MAX_FLAP_LIMIT) {
    throw new CheckError('USAGE', `--flap-limit must be a whole number from 0 to ${MAX_FLAP_LIMIT}, got ${JSON.stringify(flapLimitText)}`);
  }
  const ms = (name: string, max: number): number => Math.round(parseSeconds(name, valueOf(o, name), { min: 0, max }) * 1000);
  const hooks = o.all('on-event');
  for (const h of hooks) {
    // snmpd and xinetd run us with a minimal PATH, and no shell ever splits it: a path, whole.
    if (!isAbsolute(h)) throw new CheckError('USAGE', `--on-event must be an absolute path, got ${JSON.stringify(h)}`);
  }
  const hookTimeoutMs = ms('hook-timeout', 3600);
  if (hookTimeoutMs <= 0) throw new CheckError('USAGE', '--hook-timeout must be more than 0 seconds');
  return {
    stateFile: o.get('state-file') ?? DEFAULT_STATE_FILE,
    identity: stateIdentity(local, table, node),
    policy: {
      downAfterMs: ms('down-after', 86_400),
      upAfterMs: ms('up-after', 86_400),
      failback,
      flapLimit: Number(flapLimitText),
      flapWindowMs: ms('flap-window', 31_536_000),
    },
    hooks,
    hookTimeoutMs,
    haproxy: haproxyTargets(o.all('haproxy-socket'), o.all('haproxy-server')),
  };
}

/** Each socket with its server: as many servers as sockets, or one server for all of them. */
function haproxyTargets(sockets: readonly string[], servers: readonly string[]): HaproxyTarget[] {
  if (sockets.length === 0 && servers.length === 0) return [];
  if (sockets.length === 0) throw new CheckError('USAGE', '--haproxy-server needs --haproxy-socket');
  if (servers.length === 0) throw new CheckError('USAGE', '--haproxy-socket needs --haproxy-server BACKEND/SERVER');
  if (servers.length !== 1 && servers.length !== sockets.length) {
    throw new CheckError(
      'USAGE',
      `${sockets.length} --haproxy-socket need one --haproxy-server each, or one for all; got ${servers.length}`,
    );
  }
  return sockets.map((socket, i) => ({
    address: parseRuntimeAddress(socket),
    ref: parseServerRef((servers.length === 1 ? servers[0] : servers[i]) as string),
  }));
}
