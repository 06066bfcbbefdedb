/**
 * Normalises the rows of SHOW REPLICA STATUS / SHOW SLAVE STATUS /
 * SHOW ALL SLAVES STATUS into one shape, by column name.
 *
 * This is the one place where server flavours differ:
 * - MySQL >= 8.0.22 and 8.4 say Replica_IO_Running, Seconds_Behind_Source,
 *   Source_Host; MySQL 5.7 and MariaDB say Slave_IO_Running,
 *   Seconds_Behind_Master, Master_Host.
 * - MySQL names a channel Channel_Name (one row per channel); MariaDB's
 *   multi-source SHOW ALL SLAVES STATUS names it Connection_name, with ''
 *   for the default connection.
 * The original script read the last column of SHOW SLAVE STATUS as the lag,
 * which on MySQL 5.5+ and MariaDB is not Seconds_Behind_Master; so nothing
 * here is read by position.
 */
import { atLeast, parseServerFlavour } from './server-flavour';

export type ThreadState = 'Yes' | 'No' | 'Connecting' | 'Preparing' | 'Unknown';

export interface ReplicaChannel {
  /** '' for the default (unnamed) channel. */
  name: string;
  ioRunning: ThreadState;
  sqlRunning: ThreadState;
  /** Seconds behind the source, or null when the server does not know (threads stopped or reconnecting). */
  lag: number | null;
  sourceHost: string | null;
  sourcePort: number | null;
  /**
   * The source's server_id as the IO thread last saw it (Master_Server_Id /
   * Source_Server_Id); null when the server reports 0, i.e. it never
   * connected since the replica started. `pool` tells by it, rather than by
   * an address, whether two nodes replicate from each other.
   */
  sourceServerId: number | null;
  lastIoErrno: number;
  lastIoError: string;
  lastSqlErrno: number;
  lastSqlError: string;
  /** Configured delay (MASTER_DELAY / SOURCE_DELAY), seconds. */
  sqlDelay: number;
}

export type StatusRow = Readonly<Record<string, unknown>>;

function pick(row: StatusRow, names: readonly string[]): unknown {
  for (const name of names) {
    if (Object.prototype.hasOwnProperty.call(row, name)) return row[name];
  }
  // Column names are case-insensitive in SQL; some proxies or drivers fold them.
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  for (const key of Object.keys(row)) {
    if (wanted.has(key.toLowerCase())) return row[key];
  }
  return undefined;
}

function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return String(value);
}

function asInteger(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  const text = asText(value)?.trim() ?? '';
  if (!/^-?\d+$/.test(text)) return null;
  return Number(text);
}

function asThreadState(value: unknown): ThreadState {
  const text = asText(value)?.trim();
  switch (text) {
    case 'Yes':
    case 'No':
    case 'Connecting':
    case 'Preparing':
      return text;
    default:
      return 'Unknown';
  }
}

export function normaliseReplicaRow(row: StatusRow): ReplicaChannel {
  return {
    name: asText(pick(row, ['Channel_Name', 'Channel_name', 'Connection_name'])) ?? '',
    ioRunning: asThreadState(pick(row, ['Replica_IO_Running', 'Slave_IO_Running'])),
    sqlRunning: asThreadState(pick(row, ['Replica_SQL_Running', 'Slave_SQL_Running'])),
    lag: asInteger(pick(row, ['Seconds_Behind_Source', 'Seconds_Behind_Master'])),
    sourceHost: asText(pick(row, ['Source_Host', 'Master_Host'])),
    sourcePort: asInteger(pick(row, ['Source_Port', 'Master_Port'])),
    sourceServerId: asInteger(pick(row, ['Source_Server_Id', 'Master_Server_Id'])) || null,
    lastIoErrno: asInteger(pick(row, ['Last_IO_Errno'])) ?? 0,
    lastIoError: asText(pick(row, ['Last_IO_Error'])) ?? '',
    lastSqlErrno: asInteger(pick(row, ['Last_SQL_Errno'])) ?? 0,
    lastSqlError: asText(pick(row, ['Last_SQL_Error'])) ?? '',
    sqlDelay: asInteger(pick(row, ['SQL_Delay'])) ?? 0,
  };
}

export function normaliseReplicaRows(rows: readonly StatusRow[]): ReplicaChannel[] {
  return rows.map(normaliseReplicaRow);
}

/** A channel that is replicating: both threads running and the lag known. */
export function isChannelRunning(c: ReplicaChannel): boolean {
  return c.ioRunning === 'Yes' && c.sqlRunning === 'Yes' && c.lag !== null;
}

/**
 * Which statement lists every channel on this server. MariaDB's plain
 * SHOW SLAVE STATUS shows only the default connection, so multi-source needs
 * SHOW ALL SLAVES STATUS. MySQL added SHOW REPLICA STATUS in 8.0.22 and
 * removed SHOW SLAVE STATUS in 8.4.
 */
export function replicaStatusStatements(version: string): string[] {
  const f = parseServerFlavour(version);
  if (f?.flavour === 'MariaDB') return ['SHOW ALL SLAVES STATUS'];
  if (f !== undefined && !atLeast(f, 8, 0, 22)) return ['SHOW SLAVE STATUS'];
  // Unknown or new MySQL: try the new name first, fall back if it does not parse.
  return ['SHOW REPLICA STATUS', 'SHOW SLAVE STATUS'];
}
