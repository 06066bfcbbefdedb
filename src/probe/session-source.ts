/**
 * Where a check gets its sessions from. The single-shot executables open a
 * session per check and close it afterwards; the resident mode keeps them
 * between checks (src/resident/kept-sessions.ts). The probe itself (probe.ts,
 * facts.ts, stamp.ts) is the same code either way, so both modes give the
 * same verdicts.
 */
import { CheckError } from '../core/errors';
import type { Deadline } from '../core/deadline';
import { connect, type Endpoint, type Session } from '../io/mysql';

export type NodeRole = 'local' | 'peer';

/** The label error texts carry, so every message says which node it is about. */
export const ROLE_LABEL: Readonly<Record<NodeRole, string>> = { local: 'local server', peer: 'peer' };

export interface SessionSource {
  /**
   * A session to that node for one check; rejects with a CheckError, at the
   * latest at the deadline. `endpoint` overrides the configured one (the
   * peer of --peer auto, found anew by every check).
   */
  acquire(role: NodeRole, deadline: Deadline, endpoint?: Endpoint): Promise<Session>;
  /**
   * Hands the session back after the check. `failed`: a step on it failed, so
   * it is not trusted again (a server that went away, a query cut off by its
   * deadline with its socket destroyed).
   */
  release(role: NodeRole, session: Session, failed: boolean): void;
  /**
   * Every session acquire() gives has just completed its login, which is
   * itself the server's answer: no ping needed to know it is alive (a kept
   * session, by contrast, may have died since its last use).
   */
  readonly freshLogins?: boolean;
}

export interface NodeEndpoints {
  local: Endpoint;
  peer: Endpoint | undefined;
}

export function endpointOf(endpoints: NodeEndpoints, role: NodeRole): Endpoint {
  const endpoint = endpoints[role];
  if (endpoint === undefined) throw new CheckError('INTERNAL', `${ROLE_LABEL[role]}: not configured`);
  return endpoint;
}

/** A fresh session per check, closed when the check hands it back: what the single-shot executables do. */
export function perCheckSessions(endpoints: NodeEndpoints): SessionSource {
  return {
    acquire: async (role, deadline, endpoint) => connect(endpoint ?? endpointOf(endpoints, role), deadline, ROLE_LABEL[role]),
    release: (_role, session) => session.close(),
    freshLogins: true,
  };
}
