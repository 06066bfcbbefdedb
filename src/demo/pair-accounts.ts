/**
 * The accounts of the demo pair and the heartbeat table, created the way an
 * operator would: a replication account on each node, the monitor account
 * with exactly the GRANTs `mysql-failover-check setup` prints, and the
 * keyed heartbeat table created by the project's own setup logic.
 *
 * Accounts are created on each node with sql_log_bin = 0: the statements
 * carry passwords, and the binary log would keep them in plain text (and
 * replicate them to a node that already has the account).
 */
import { randomBytes } from 'node:crypto';
import { Deadline } from '../core/deadline';
import { parseAccount, setUp } from '../probe/setup';
import { withAdminSession, type AdminEndpoint } from './admin-session';

export const REPL_USER = 'mfc_repl';
export const MONITOR_USER = 'mfc_monitor';
/** Both kinds of client reach the servers over TCP from 127.0.0.1 (skip-name-resolve: no 'localhost' here). */
export const CLIENT_HOST = '127.0.0.1';
export const HEARTBEAT_TABLE = 'mysql_failover.heartbeat';

/** Per demo, never printed; base64url needs no quoting in an option file. */
export function newPassword(): string {
  return randomBytes(24).toString('base64url');
}

const STEP_TIMEOUT_MS = 15_000;

/** On one node, unlogged: the replication account (with its grant) and the monitor account (grants follow setup). */
export async function createAccounts(admin: AdminEndpoint, replPassword: string, monitorPassword: string, role: string): Promise<void> {
  await withAdminSession(admin, STEP_TIMEOUT_MS, role, async (s, d) => {
    await s.execute('SET SESSION sql_log_bin = 0', [], d);
    await s.execute('CREATE USER ?@? IDENTIFIED BY ?', [REPL_USER, CLIENT_HOST, replPassword], d);
    await s.execute('GRANT REPLICATION SLAVE ON *.* TO ?@?', [REPL_USER, CLIENT_HOST], d);
    await s.execute('CREATE USER ?@? IDENTIFIED BY ?', [MONITOR_USER, CLIENT_HOST, monitorPassword], d);
  });
}

/**
 * Runs the project's setup on one node (it creates the heartbeat database
 * and keyed table; the DDL replicates to the other node) and returns the
 * GRANT statements it prints for the monitor account.
 */
export async function setUpHeartbeat(admin: AdminEndpoint): Promise<string[]> {
  const [database = '', table = ''] = HEARTBEAT_TABLE.split('.');
  const report = await setUp(
    { socket: admin.socket, user: admin.user },
    { database, table },
    parseAccount(`${MONITOR_USER}@${CLIENT_HOST}`),
    Deadline.in(STEP_TIMEOUT_MS),
  );
  // setup prints statements for a shell pipe, each ending in ';'; the protocol takes them without.
  return report.grants.map((g) => g.replace(/;\s*$/, ''));
}

/** On one node, unlogged (each node gets the same GRANTs; its copy of the table must exist already). */
export async function applyGrants(admin: AdminEndpoint, grants: readonly string[], role: string): Promise<void> {
  await withAdminSession(admin, STEP_TIMEOUT_MS, role, async (s, d) => {
    await s.execute('SET SESSION sql_log_bin = 0', [], d);
    for (const g of grants) await s.execute(g, [], d);
  });
}
