/**
 * SQL as the administrator of a demo server: over its unix socket, as the
 * account mariadb-install-db created for the operating-system user running
 * the demo (root, for `demo` as root), authenticated by the socket itself,
 * so no administrator password exists anywhere. Every statement has a
 * deadline; every session is closed after use, so a call survives restarts.
 */
import { connect, type Row, type Session } from '../io/mysql';
import { Deadline } from '../core/deadline';
import { CheckError } from '../core/errors';

export type { Row };

export interface AdminEndpoint {
  socket: string;
  user: string;
}

/** One session as administrator; `run` gets the session and the deadline that bounds everything in it. */
export async function withAdminSession<T>(
  admin: AdminEndpoint,
  timeoutMs: number,
  role: string,
  run: (session: Session, deadline: Deadline) => Promise<T>,
): Promise<T> {
  const deadline = Deadline.in(timeoutMs);
  const session = await connect({ socket: admin.socket, user: admin.user }, deadline, role);
  try {
    return await run(session, deadline);
  } finally {
    session.close();
  }
}

/** One statement in a session of its own; rows ([] for statements without rows). */
export function adminQuery(admin: AdminEndpoint, sql: string, params: readonly unknown[], timeoutMs: number, role: string): Promise<Row[]> {
  return withAdminSession(admin, timeoutMs, role, (session, deadline) => session.query(sql, params, deadline));
}

/**
 * Polls until the server answers a ping, or fails: at once when `exited()`
 * reports that the process is gone, with TIMEOUT after `timeoutMs`.
 */
export async function waitAccepting(
  admin: AdminEndpoint,
  timeoutMs: number,
  role: string,
  exited: () => string | undefined,
): Promise<void> {
  const deadline = Deadline.in(timeoutMs);
  let last: unknown;
  for (;;) {
    const why = exited();
    if (why !== undefined) throw new CheckError('CONNECT_FAILED', `${role} ${why} while starting`);
    try {
      await withAdminSession(admin, Math.min(2000, Math.max(1, deadline.remaining())), role, (s, d) => s.ping(d));
      return;
    } catch (e) {
      last = e;
    }
    if (deadline.expired()) {
      throw new CheckError('TIMEOUT', `${role} did not accept connections within ${Math.round(timeoutMs / 1000)} s`, { cause: last });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
