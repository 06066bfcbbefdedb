/**
 * `mysql-failover-check setup`: creates the heartbeat database and the keyed
 * table when they are missing, adds the failover state mirror's columns to a
 * keyed table that lacks them (docs/pool.md), and prints the GRANT
 * statements the monitor user needs on this server, and the read-only ones
 * the other node's `pool` logs in with.
 *
 * Idempotent by construction: it looks before it creates or adds, never
 * drops, truncates or writes a row, so a second run changes nothing (not
 * even a binlog event). The DDL still says IF NOT EXISTS where the server
 * has it, so two nodes set up at the same moment cannot break replication
 * of each other's statement.
 *
 * The pure parts (flavour detection, privilege choice, GRANT text) are
 * exported for unit tests; setUp does the I/O through src/io/mysql.ts.
 */
import { CheckError } from '../core/errors';
import type { Deadline } from '../core/deadline';
import { connect, type Endpoint, type Session } from '../io/mysql';
import {
  addStateColumnsSql,
  createKeyedTableSql,
  lockWaitSeconds,
  missingStateColumns,
  quoteTable,
  type TableName,
} from '../core/heartbeat';
import type { Endpoint as NodeEndpoint } from '../io/mysql';
import { atLeast, parseServerFlavour, type ServerFlavour } from '../core/server-flavour';

export type { ServerFlavour };

/** setup's --timeout unless given: DDL may wait for metadata locks longer than a probe may. */
export const SETUP_DEFAULT_TIMEOUT = '30';

/** The server's flavour; a version we cannot read is an error here (setup must not guess a GRANT). */
export function detectFlavour(version: string, comment = ''): ServerFlavour {
  const f = parseServerFlavour(version, comment);
  if (!f) throw new CheckError('INTERNAL', `cannot read the server version ${JSON.stringify(version)}`);
  return f;
}

export interface MonitorPrivilege {
  /** The global privilege that lets the monitor user read replica status. */
  privilege: string;
  note: string;
}

/**
 * Which global privilege allows SHOW [ALL] SLAVES STATUS / SHOW REPLICA STATUS:
 * - MySQL (all versions), MariaDB before 10.5: REPLICATION CLIENT.
 * - MariaDB 10.5.9 and later: SLAVE MONITOR (REPLICATION CLIENT became an
 *   alias of BINLOG MONITOR, which is refused for SHOW SLAVE STATUS, error 1227).
 * - MariaDB 10.5.0 to 10.5.8: SLAVE MONITOR did not exist yet and SHOW SLAVE
 *   STATUS needed REPLICATION SLAVE ADMIN (which may also stop replication).
 */
export function monitorPrivilege(f: ServerFlavour): MonitorPrivilege {
  if (f.flavour === 'MariaDB') {
    if (atLeast(f, 10, 5, 9)) {
      return { privilege: 'SLAVE MONITOR', note: 'MariaDB >= 10.5.9: SLAVE MONITOR allows SHOW ALL SLAVES STATUS' };
    }
    if (atLeast(f, 10, 5, 0)) {
      return {
        privilege: 'REPLICATION SLAVE ADMIN',
        note:
          'MariaDB 10.5.0-10.5.8: SHOW SLAVE STATUS needs REPLICATION SLAVE ADMIN (it also allows START/STOP SLAVE); ' +
          'after an upgrade to 10.5.9 or later grant SLAVE MONITOR instead',
      };
    }
    return { privilege: 'REPLICATION CLIENT', note: 'MariaDB < 10.5: REPLICATION CLIENT allows SHOW SLAVE STATUS' };
  }
  return { privilege: 'REPLICATION CLIENT', note: 'MySQL: REPLICATION CLIENT allows SHOW REPLICA STATUS' };
}

export interface Account {
  user: string;
  host: string;
}

export const DEFAULT_MONITOR_ACCOUNT = 'mfc_monitor@localhost';

/** `USER[@HOST]` (HOST defaults to localhost); plain characters only, so the SQL text needs no escaping. */
export function parseAccount(text: string): Account {
  const at = text.lastIndexOf('@');
  const user = at === -1 ? text : text.slice(0, at);
  const host = at === -1 ? 'localhost' : text.slice(at + 1);
  if (!/^[A-Za-z0-9_.$-]{1,80}$/.test(user)) {
    throw new CheckError('USAGE', `--monitor-user: bad user name ${JSON.stringify(user)} (letters, digits, _ . $ -)`);
  }
  if (!/^[A-Za-z0-9_.%:-]{1,255}$/.test(host)) {
    throw new CheckError('USAGE', `--monitor-user: bad host ${JSON.stringify(host)} (a host name, address or pattern with %)`);
  }
  return { user, host };
}

export function accountSql(a: Account): string {
  return `'${a.user}'@'${a.host}'`;
}

/** The statements the monitor user needs: read replica status, read and stamp the heartbeat. */
export function grantStatements(f: ServerFlavour, table: TableName, account: Account): string[] {
  const who = accountSql(account);
  return [`GRANT ${monitorPrivilege(f).privilege} ON *.* TO ${who};`, `GRANT SELECT, INSERT, UPDATE ON ${quoteTable(table)} TO ${who};`];
}

/**
 * The statements an account of `pool` on the other node needs here: it only
 * reads (replica status, the heartbeat rows); it never stamps this node.
 */
export function poolGrantStatements(f: ServerFlavour, table: TableName, account: Account): string[] {
  const who = accountSql(account);
  return [`GRANT ${monitorPrivilege(f).privilege} ON *.* TO ${who};`, `GRANT SELECT ON ${quoteTable(table)} TO ${who};`];
}

function tcpHost(e: NodeEndpoint | undefined): string | undefined {
  return e === undefined || e.socket !== undefined || e.host === undefined ? undefined : e.host;
}

/**
 * The accounts `pool` logs in with from the other node: those given
 * (--pool-user), else the monitor user's name at each TCP address the
 * options name for the pair (--host, --peer): where each node's checks
 * come from when they reach the other. GRANTs replicate in a pair, so one
 * run covers both nodes. The monitor account itself is left out: it has more.
 */
export function poolAccounts(monitor: Account, given: readonly string[], local: NodeEndpoint, peer: NodeEndpoint | undefined): Account[] {
  const wanted =
    given.length > 0
      ? given.map(parseAccount)
      : [local, peer].flatMap((e) => {
          const host = tcpHost(e);
          return host === undefined ? [] : [{ user: monitor.user, host }];
        });
  const seen = new Set([accountSql(monitor)]);
  return wanted.filter((a) => {
    const key = accountSql(a);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export type TableShape = 'keyed' | 'one-row' | 'unusable';

/** What an existing table's columns mean for the check (src/core/heartbeat.ts reads by column name). */
export function tableShape(columns: readonly string[]): TableShape {
  const names = new Set(columns.map((c) => c.toLowerCase()));
  if (!names.has('lastcheck')) return 'unusable';
  return names.has('node') ? 'keyed' : 'one-row';
}

export interface SetupReport {
  server: ServerFlavour;
  serverId: number;
  databaseCreated: boolean;
  tableCreated: boolean;
  shape: TableShape;
  /** The state mirror's columns this run added to an existing keyed table. */
  columnsAdded: string[];
  rows: number;
  privilege: MonitorPrivilege;
  grants: string[];
  /** The accounts of `pool` on the other node, and their read-only GRANTs. */
  poolAccounts: Account[];
  poolGrants: string[];
}

async function columnsOf(session: Session, table: TableName, deadline: Deadline): Promise<string[]> {
  const rows = await session.query(
    'SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [table.database, table.table],
    deadline,
  );
  return rows.map((r) => String(r['name']));
}

/** Creates what is missing; throws a CheckError (the table exists with an unusable shape: BAD_HEARTBEAT_TABLE). */
export async function setUp(
  endpoint: Endpoint,
  table: TableName,
  account: Account,
  deadline: Deadline,
  readers: readonly Account[] = [],
): Promise<SetupReport> {
  const session = await connect(endpoint, deadline, 'local server');
  try {
    const [info] = await session.query('SELECT @@version AS version, @@version_comment AS comment, @@server_id AS server_id', [], deadline);
    const server = detectFlavour(String(info?.['version'] ?? ''), String(info?.['comment'] ?? ''));
    // DDL waits for metadata locks; never past our deadline.
    await session.execute(`SET SESSION lock_wait_timeout = ${lockWaitSeconds(deadline.remaining() / 1000)}`, [], deadline);

    let databaseCreated = false;
    const schemas = await session.query(
      'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [table.database],
      deadline,
    );
    const [createDatabase, createTable] = createKeyedTableSql(table) as [string, string];
    if (schemas.length === 0) {
      await session.execute(createDatabase, [], deadline);
      databaseCreated = true;
    }

    let tableCreated = false;
    let columns = await columnsOf(session, table, deadline);
    if (columns.length === 0) {
      await session.execute(createTable, [], deadline);
      tableCreated = true;
      columns = await columnsOf(session, table, deadline);
    }
    const shape = tableShape(columns);
    if (shape === 'unusable') {
      throw new CheckError(
        'BAD_HEARTBEAT_TABLE',
        `${quoteTable(table)} exists but has no lastcheck column (columns: ${columns.join(', ')}); left untouched`,
      );
    }
    // The one-row table is shared by both nodes: a state mirror there would mean nothing.
    const columnsAdded = shape === 'keyed' ? missingStateColumns(columns) : [];
    if (columnsAdded.length > 0) {
      await session.execute(addStateColumnsSql(table, columnsAdded, server.flavour === 'MariaDB'), [], deadline);
    }
    const [count] = await session.query(`SELECT COUNT(*) AS n FROM ${quoteTable(table)}`, [], deadline);
    return {
      server,
      serverId: Number(info?.['server_id'] ?? 0),
      databaseCreated,
      tableCreated,
      shape,
      columnsAdded,
      rows: Number(count?.['n'] ?? 0),
      privilege: monitorPrivilege(server),
      grants: grantStatements(server, table, account),
      poolAccounts: [...readers],
      poolGrants: readers.flatMap((a) => poolGrantStatements(server, table, a)),
    };
  } finally {
    session.close();
  }
}

/**
 * The report as an SQL script: comments say what happened, the GRANTs are
 * statements, so `setup ... | mysql` (as an administrator) applies them.
 */
export function formatSetupReport(r: SetupReport, table: TableName, account: Account): string {
  const t = quoteTable(table);
  const shape = r.shape === 'keyed' ? 'keyed (one row per node)' : 'original one-row schema (lastcheck only; both nodes share the row)';
  const lines = [
    `-- server: ${r.server.version} (${r.server.flavour} ${r.server.major}.${r.server.minor}.${r.server.patch}), server_id ${r.serverId}`,
    `-- database \`${table.database}\`: ${r.databaseCreated ? 'created' : 'exists, kept'}`,
    `-- table ${t}: ${r.tableCreated ? `created, ${shape}` : `exists, ${shape}, ${r.rows} row${r.rows === 1 ? '' : 's'} kept`}`,
  ];
  if (r.columnsAdded.length > 0) {
    lines.push(`-- added the failover state mirror's columns ${r.columnsAdded.join(', ')} (nullable; no row rewritten)`);
  }
  if (r.shape === 'one-row') lines.push('-- the one-row table has no failover state mirror: pool shows the state as unknown');
  if (!r.databaseCreated && !r.tableCreated && r.columnsAdded.length === 0) lines.push('-- nothing changed');
  else lines.push('-- the DDL replicates to the peer like any other');
  lines.push(
    '--',
    `-- the monitor user ${accountSql(account)} needs (${r.privilege.note}):`,
    `-- (create it first if needed: CREATE USER ${accountSql(account)} IDENTIFIED BY '...';)`,
    ...r.grants,
    '--',
  );
  if (r.poolAccounts.length === 0) {
    lines.push(
      '-- `pool` on the other node reads this one too (replica status, the heartbeat table): name the account it logs',
      '-- in with, as this server sees it, with --pool-user USER@ADDRESS for its read-only GRANTs',
    );
  } else {
    lines.push(
      '-- `pool` on each node reads the other (replica status, the heartbeat table; never a write), logging in as',
      `-- ${r.poolAccounts.map(accountSql).join(', ')} (create first if needed; GRANTs replicate to the peer):`,
      ...r.poolGrants,
    );
  }
  return lines.join('\n') + '\n';
}
