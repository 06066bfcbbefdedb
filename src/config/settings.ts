/**
 * The settings of one check, assembled from the merged options and
 * validated before any connection is made: endpoints, heartbeat table,
 * thresholds, bounds, files. Every default comes from the option table
 * (option-specs.ts), through option-merge.ts.
 */
import { userInfo } from 'node:os';
import { CheckError } from '../core/errors';
import type { Thresholds } from '../core/decide';
import { parseTableName, validateNodeName, type TableName } from '../core/heartbeat';
import { DEFAULT_PORT, type Endpoint } from '../io/mysql';
import { valueOf, type ResolvedOptions } from './option-merge';
import { DEFAULT_HOST } from './option-specs';
import { failoverSettings, type FailoverSettings } from './failover-settings';
import { parseHostPort, parsePort, parseSeconds } from './value-parsers';

/** The login name of this process, or undefined when the system knows none. */
export function loginName(): string | undefined {
  try {
    const name = userInfo().username;
    return name === '' ? undefined : name;
  } catch {
    return undefined;
  }
}

/** The passwords the options hold: scrubbed from anything printed or logged. */
export function optionSecrets(o: ResolvedOptions): string[] {
  return [o.get('password'), o.get('peer-password')].filter((p): p is string => p !== undefined && p.length > 0);
}

export interface CheckSettings {
  local: Endpoint;
  peer: Endpoint | undefined;
  /** --peer auto: the credentials for the peer, whose address every check takes from the replication source. */
  peerAuto: { user: string | undefined; password: string | undefined } | undefined;
  table: TableName;
  node: string | undefined;
  thresholds: Thresholds;
  timeoutMs: number;
  maintenanceFile: string | undefined;
  logFile: string | undefined;
  /** Holding a failover and acting on it; undefined when none of its options is set. */
  failover: FailoverSettings | undefined;
  /** Secrets to scrub from anything we print or log. */
  secrets: string[];
}

/** The settings of a check, validated before any connection is made; throws CheckError('USAGE'). */
export function checkSettings(o: ResolvedOptions): CheckSettings {
  // As the mysql client: no user configured means the login name (root with
  // Debian's socket authentication, so `sudo mysql-failover-check setup` works as is).
  const user = o.get('user') ?? loginName();
  const password = o.get('password');
  const host = valueOf(o, 'host');
  const port = parsePort('port', valueOf(o, 'port'));
  // As with the MySQL client, "localhost" means the unix socket.
  const local: Endpoint =
    host === DEFAULT_HOST
      ? { socket: valueOf(o, 'socket'), user, password }
      : { host: parseHostPort('host', host, port).host, port, user, password };

  let peer: Endpoint | undefined;
  let peerAuto: CheckSettings['peerAuto'];
  const peerUser = o.get('peer-user') ?? user;
  const peerPassword = o.get('peer-password') ?? password;
  const peerSocket = o.get('peer-socket');
  const peerHost = o.get('peer');
  if (peerSocket !== undefined && peerHost !== undefined) {
    throw new CheckError('USAGE', '--peer and --peer-socket are exclusive');
  }
  if (peerSocket !== undefined) peer = { socket: peerSocket, user: peerUser, password: peerPassword };
  else if (peerHost === 'auto') peerAuto = { user: peerUser, password: peerPassword };
  else if (peerHost !== undefined) {
    const hp = parseHostPort('peer', peerHost, DEFAULT_PORT);
    peer = { host: hp.host, port: hp.port, user: peerUser, password: peerPassword };
  }

  const nodeText = o.get('node');
  const node = nodeText === undefined ? undefined : validateNodeName(nodeText);
  const table = parseTableName(valueOf(o, 'table'));
  const channel = o.get('channel');
  if (channel !== undefined && channel.length > 64) throw new CheckError('USAGE', '--channel is at most 64 characters');
  return {
    local,
    peer,
    peerAuto,
    table,
    node,
    thresholds: {
      fresh: parseSeconds('fresh', valueOf(o, 'fresh'), { min: 0, max: 31_536_000 }),
      maxLag: parseSeconds('max-lag', valueOf(o, 'max-lag'), { min: 0, max: 31_536_000 }),
      channel,
    },
    timeoutMs: Math.round(parseSeconds('timeout', valueOf(o, 'timeout'), { min: 0.1, max: 3600 }) * 1000),
    maintenanceFile: o.get('maintenance-file'),
    logFile: o.get('log-file'),
    failover: failoverSettings(o, local, table, node),
    secrets: optionSecrets(o),
  };
}
