/**
 * The heartbeat table: which SQL reads and stamps it, and what the rows mean.
 * Pure: the statements are run by src/probe/facts.ts and src/probe/stamp.ts.
 *
 * Two schemas work:
 * - the original one, `status_example.lastcheck (lastcheck BIGINT)`, one row
 *   shared by both nodes;
 * - the keyed one created by `setup`, one row per node name, so two nodes
 *   that are both probed never overwrite each other's stamp through
 *   replication.
 * Which one a table is follows from its columns: a `node` column means keyed.
 *
 * The keyed table may also carry the failover state mirror (docs/pool.md):
 * `state` and `state_since`, where each node's probes copy their failover
 * state into their own row, so that the other node's `pool` can see it. The
 * one-row table is shared by both nodes and never carries one.
 */
import { CheckError } from './errors';
import type { Heartbeat } from './decide';

export const DEFAULT_TABLE = 'mysql_failover.heartbeat';

export interface TableName {
  database: string;
  table: string;
}

/**
 * Identifiers come from options and end up in SQL text (they cannot be bound
 * as parameters), so they are restricted to the characters MySQL allows
 * unquoted, and quoted anyway. Anything else (`x; DROP TABLE y`, backticks,
 * quotes) is rejected before a connection is made.
 */
const IDENTIFIER = /^[A-Za-z0-9_$]{1,64}$/;

export function parseTableName(text: string): TableName {
  const parts = text.split('.');
  if (parts.length !== 2) {
    throw new CheckError('USAGE', `--table must be DATABASE.TABLE, got ${JSON.stringify(text)}`);
  }
  const [database, table] = parts as [string, string];
  for (const part of [database, table]) {
    if (!IDENTIFIER.test(part) || /^\d+$/.test(part)) {
      throw new CheckError('USAGE', `--table: ${JSON.stringify(part)} is not a plain identifier (letters, digits, _ and $, at most 64)`);
    }
  }
  return { database, table };
}

export function quoteTable(t: TableName): string {
  return `\`${t.database}\`.\`${t.table}\``;
}

const NODE_NAME = /^[\x21-\x7e]{1,64}$/;

export function validateNodeName(name: string): string {
  if (!NODE_NAME.test(name)) {
    throw new CheckError('USAGE', `--node must be 1 to 64 printable ASCII characters without spaces`);
  }
  return name;
}

/** At most this many rows are read: the table holds one row per node. */
export const MAX_HEARTBEAT_ROWS = 64;

/**
 * One statement reads the server's clock, its version, identity and
 * read_only, and every heartbeat row. The LEFT JOIN from a one-row derived
 * table returns one row even when the heartbeat table is empty, so the clock
 * and version always come back; `h.*` tells which columns the table has.
 */
export function readHeartbeatSql(t: TableName): string {
  return (
    'SELECT UNIX_TIMESTAMP() AS mfc_now, @@version AS mfc_version, @@server_id AS mfc_server_id, @@read_only AS mfc_read_only, h.* ' +
    `FROM (SELECT 1 AS mfc_one) AS d LEFT JOIN ${quoteTable(t)} AS h ON 1 = 1 LIMIT ${MAX_HEARTBEAT_ROWS}`
  );
}

/** The failover state mirror's columns, in the keyed table only. */
export const STATE_COLUMN = 'state';
export const STATE_SINCE_COLUMN = 'state_since';

/** What a node's row says of its failover state (docs/pool.md, "The state mirror"). */
export interface StateMirror {
  /** A state name (src/core/failover-state.ts STATE_NAMES); null: the node keeps no failover state, or has no row. */
  state: string | null;
  /** When the node entered that state: epoch seconds, like lastcheck. */
  since: number | null;
}

export interface HeartbeatRead {
  now: number;
  version: string;
  serverId: number;
  keyed: boolean;
  /** The node name the keyed row is looked up and stamped under. */
  node: string;
  heartbeat: Heartbeat;
  /** @@read_only; undefined when the server did not say (an older read, a proxy). */
  readOnly?: boolean | undefined;
  /** The row's mirrored failover state; undefined when the table has no state column (the one-row table never has). */
  mirror?: StateMirror | undefined;
}

function num(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  const text = String(value).trim();
  return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : null;
}

/**
 * Interprets the rows of readHeartbeatSql. `node` is --node; by default the
 * server's server_id, which replication already requires to be unique.
 */
export function interpretHeartbeatRows(rows: readonly Record<string, unknown>[], node: string | undefined): HeartbeatRead {
  const first = rows[0];
  if (first === undefined) {
    throw new CheckError('BAD_HEARTBEAT_TABLE', 'heartbeat query returned no row');
  }
  const now = num(first['mfc_now']);
  if (now === null) throw new CheckError('BAD_HEARTBEAT_TABLE', 'server returned no UNIX_TIMESTAMP()');
  const version = String(first['mfc_version'] ?? '');
  const serverId = num(first['mfc_server_id']) ?? 0;
  if (!Object.prototype.hasOwnProperty.call(first, 'lastcheck')) {
    throw new CheckError('BAD_HEARTBEAT_TABLE', 'heartbeat table has no lastcheck column');
  }
  const keyed = Object.prototype.hasOwnProperty.call(first, 'node');
  const name = node ?? String(serverId);
  const readOnly = readOnlyOf(first['mfc_read_only']);

  // With the LEFT JOIN an empty table yields one row whose columns are all NULL.
  let stamps: unknown[];
  if (keyed) {
    stamps = rows.filter((r) => r['node'] !== null && String(r['node']) === name).map((r) => r['lastcheck']);
  } else {
    const allNull = rows.length === 1 && first['lastcheck'] === null && isEmptyJoin(first);
    stamps = allNull ? [] : rows.map((r) => r['lastcheck']);
  }

  let heartbeat: Heartbeat;
  if (stamps.length === 0) {
    heartbeat = { state: 'empty', age: null };
  } else {
    // More than one row in the original schema: the newest stamp counts.
    const values = stamps.map(num).filter((v): v is number => v !== null);
    if (values.length === 0) {
      heartbeat = { state: 'null', age: null };
    } else {
      const age = now - Math.max(...values);
      heartbeat = age < 0 ? { state: 'future', age } : { state: 'ok', age };
    }
  }
  const read: HeartbeatRead = { now, version, serverId, keyed, node: name, heartbeat };
  if (readOnly !== undefined) read.readOnly = readOnly;
  if (keyed && Object.prototype.hasOwnProperty.call(first, STATE_COLUMN)) {
    const row = rows.find((r) => r['node'] !== null && String(r['node']) === name);
    read.mirror = mirrorOf(row);
  }
  return read;
}

function readOnlyOf(value: unknown): boolean | undefined {
  const n = num(value);
  return n === null ? undefined : n !== 0;
}

function mirrorOf(row: Record<string, unknown> | undefined): StateMirror {
  const state = row?.[STATE_COLUMN];
  const text = state === null || state === undefined ? '' : Buffer.isBuffer(state) ? state.toString('utf8') : String(state);
  return { state: text === '' ? null : text, since: num(row?.[STATE_SINCE_COLUMN]) };
}

/** The mirror of a failover state that began at `sinceMs` (epoch ms): whole seconds, as lastcheck has them. */
export function stateMirror(state: string | null, sinceMs: number | null): StateMirror {
  return state === null || sinceMs === null ? { state: null, since: null } : { state, since: Math.floor(sinceMs / 1000) };
}

export function sameMirror(a: StateMirror | undefined, b: StateMirror): boolean {
  return a !== undefined && a.state === b.state && a.since === b.since;
}

/**
 * A LEFT JOIN over an empty original-schema table cannot be told apart from one
 * row holding NULL by lastcheck alone; any other column of the table being
 * non-NULL proves a real row. With only the lastcheck column we count it as
 * empty, and stamping inserts a row, which is what both cases need.
 */
function isEmptyJoin(row: Record<string, unknown>): boolean {
  return Object.entries(row).every(([k, v]) => k.startsWith('mfc_') || v === null);
}

/**
 * A server-side lock wait bound for `seconds` of deadline left: whole seconds
 * (the variables take no fractions), rounded down so the server gives up
 * inside our deadline, 1 s being the least it accepts.
 */
export function lockWaitSeconds(seconds: number): number {
  return Math.max(1, Math.floor(seconds));
}

/**
 * Bounds the server-side waits of the stamp: without this an UPDATE behind
 * FLUSH TABLES WITH READ LOCK waits lock_wait_timeout (a year by default) and
 * one behind a row lock innodb_lock_wait_timeout (50 s), long after we hung up.
 * autocommit=1 because the original never committed under InnoDB, so its
 * stamp never moved; a server with autocommit=0 by default would repeat that.
 */
export function stampSessionSql(seconds: number): string {
  const s = lockWaitSeconds(seconds);
  return `SET SESSION autocommit = 1, lock_wait_timeout = ${s}, innodb_lock_wait_timeout = ${s}`;
}

/**
 * The stamp. With `mirror` (a keyed table that has the state columns) the
 * same statement records the node's failover state, so the stamp costs no
 * second write.
 */
export function stampSql(t: TableName, keyed: boolean, node: string, mirror?: StateMirror): { sql: string; params: unknown[] } {
  if (keyed && mirror !== undefined) {
    return {
      sql:
        `INSERT INTO ${quoteTable(t)} (node, lastcheck, ${STATE_COLUMN}, ${STATE_SINCE_COLUMN}) VALUES (?, UNIX_TIMESTAMP(), ?, ?) ` +
        `ON DUPLICATE KEY UPDATE lastcheck = UNIX_TIMESTAMP(), ${STATE_COLUMN} = ?, ${STATE_SINCE_COLUMN} = ?`,
      params: [node, mirror.state, mirror.since, mirror.state, mirror.since],
    };
  }
  if (keyed) {
    return {
      sql:
        `INSERT INTO ${quoteTable(t)} (node, lastcheck) VALUES (?, UNIX_TIMESTAMP()) ` +
        'ON DUPLICATE KEY UPDATE lastcheck = UNIX_TIMESTAMP()',
      params: [node],
    };
  }
  return { sql: `UPDATE ${quoteTable(t)} SET lastcheck = UNIX_TIMESTAMP()`, params: [] };
}

/**
 * Session settings for the stamp trial (see trialStampSql): the transaction is
 * never committed, and a lock held longer than a second already means the
 * LB's own stamp (bounded by its few-second timeout) is failing.
 */
export const TRIAL_SESSION_SQL = 'SET SESSION autocommit = 0, lock_wait_timeout = 1, innodb_lock_wait_timeout = 1';
/** After the trial's ROLLBACK: the session back to autocommit, as every other check expects it. */
export const TRIAL_SESSION_END_SQL = 'SET SESSION autocommit = 1';

/**
 * The stamp as a trial for the read-only modes (the Nagios plugin, `status`):
 * the same table and row as the LB's stamp, but setting the stamp to itself
 * inside a transaction that is rolled back, so nothing changes even on a
 * non-transactional table. It fails where the real stamp would: read_only,
 * FLUSH TABLES WITH READ LOCK, a row lock held by another transaction, no
 * UPDATE grant. Reading @@read_only instead would be wrong for an account
 * with READ_ONLY ADMIN/SUPER and blind to FLUSH TABLES WITH READ LOCK.
 */
export function trialStampSql(t: TableName, keyed: boolean, node: string): { sql: string; params: unknown[] } {
  if (keyed) return { sql: `UPDATE ${quoteTable(t)} SET lastcheck = lastcheck WHERE node = ?`, params: [node] };
  return { sql: `UPDATE ${quoteTable(t)} SET lastcheck = lastcheck`, params: [] };
}

/**
 * Records the failover state without a stamp (a transition to a DOWN state,
 * which never stamps). A node without a row gets one with a NULL stamp,
 * which reads as stale like a missing row. `node` null: the row of the
 * server's server_id (the probe in maintenance has read nothing).
 */
export function mirrorStateSql(t: TableName, node: string | null, mirror: StateMirror): { sql: string; params: unknown[] } {
  return {
    sql:
      `INSERT INTO ${quoteTable(t)} (node, lastcheck, ${STATE_COLUMN}, ${STATE_SINCE_COLUMN}) VALUES (COALESCE(?, @@server_id), NULL, ?, ?) ` +
      `ON DUPLICATE KEY UPDATE ${STATE_COLUMN} = ?, ${STATE_SINCE_COLUMN} = ?`,
    params: [node, mirror.state, mirror.since, mirror.state, mirror.since],
  };
}

/** The original schema with no row yet: the stamp inserts the one row. */
export function insertFirstRowSql(t: TableName): string {
  return `INSERT INTO ${quoteTable(t)} (lastcheck) VALUES (UNIX_TIMESTAMP())`;
}

/** The state mirror's column definitions, as `setup` creates or adds them. */
const STATE_COLUMN_DEFINITIONS: Readonly<Record<string, string>> = {
  [STATE_COLUMN]: `${STATE_COLUMN} VARCHAR(16) NULL`,
  [STATE_SINCE_COLUMN]: `${STATE_SINCE_COLUMN} BIGINT NULL`,
};

/** The keyed table `setup` creates, with the state mirror. */
export function createKeyedTableSql(t: TableName): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS \`${t.database}\``,
    `CREATE TABLE IF NOT EXISTS ${quoteTable(t)} (` +
      'node VARCHAR(64) NOT NULL PRIMARY KEY, ' +
      'lastcheck BIGINT NULL, ' +
      Object.values(STATE_COLUMN_DEFINITIONS).join(', ') +
      ') ENGINE=InnoDB',
  ];
}

/** The state mirror's columns a keyed table lacks (by its column names, any case). */
export function missingStateColumns(columns: readonly string[]): string[] {
  const have = new Set(columns.map((c) => c.toLowerCase()));
  return Object.keys(STATE_COLUMN_DEFINITIONS).filter((c) => !have.has(c));
}

/**
 * Adds the missing state columns to an existing keyed table: nullable, at
 * the end, no row rewritten (an instant ALTER on MariaDB >= 10.3 and MySQL
 * >= 8.0.12). `ifNotExists` (MariaDB only) keeps two nodes set up at the same
 * moment from breaking replication on each other's ALTER.
 */
export function addStateColumnsSql(t: TableName, missing: readonly string[], ifNotExists: boolean): string {
  const adds = missing.map((c) => `ADD COLUMN ${ifNotExists ? 'IF NOT EXISTS ' : ''}${STATE_COLUMN_DEFINITIONS[c] ?? c}`);
  return `ALTER TABLE ${quoteTable(t)} ${adds.join(', ')}`;
}
