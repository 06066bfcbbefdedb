/**
 * Sessions kept open between checks, for the resident mode: one to the local
 * node, one to the peer, each lent to one check at a time.
 *
 * - A kept session is pinged before it is lent: a server that restarted, or
 *   closed an idle session (wait_timeout), would otherwise cost one wrong
 *   answer; a failed ping drops it and a fresh connection is tried at once,
 *   under the same deadline.
 * - A session handed back as failed is dropped, never reused: after a step
 *   cut off by its deadline the protocol state is unknown.
 * - A failed connect starts a backoff (100 ms doubling to 5 s, reset by a
 *   successful connect). While it runs, acquire() fails at once with the last
 *   connect error: a probe storm against a dead or frozen server then costs
 *   nothing, and the answer is the fail-safe one for that node
 *   (docs/design.md, "The load-balancer verdict": local DOWN, peer counted
 *   as unreachable).
 * - A login the server refuses (AUTH_FAILED) on a connect asks the caller
 *   once for other credentials (onLoginRefused: the option files re-read)
 *   and, when there are, tries them at once under the same deadline: after
 *   a password rotation the answer is UP again without a restart, and
 *   without one DOWN in between (docs/operations.md).
 */
import { CheckError, toCheckError } from '../core/errors';
import type { Deadline } from '../core/deadline';
import { connect, type Endpoint, type Session } from '../io/mysql';
import { endpointOf, ROLE_LABEL, type NodeEndpoints, type NodeRole, type SessionSource } from '../probe/session-source';

export const BACKOFF_FIRST_MS = 100;
export const BACKOFF_MAX_MS = 5000;

/** The wait before the next connect after `failures` failed ones in a row (>= 1). */
export function backoffMs(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.min(30, Math.max(0, failures - 1)));
}

interface Slot {
  session: Session | undefined;
  /** The kept session is with a check now. */
  lent: boolean;
  failures: number;
  retryAt: number;
  lastError: CheckError | undefined;
  /** Where the kept session and the backoff are for (the --peer auto source may move). */
  target: string | undefined;
}

function targetKey(e: Endpoint): string {
  return e.socket !== undefined ? `socket:${e.socket}` : `tcp:${e.host ?? ''}:${e.port ?? ''}`;
}

export interface KeptSessions extends SessionSource {
  /** Ends every session at once (a check that outlived its deadline): the next check reconnects. */
  drop(): void;
  /** Ends every session and keeps none from now on. */
  close(): void;
}

export interface KeptSessionsOptions {
  now?: () => number;
  /**
   * A connect to `tried` was refused a login: the endpoint to try instead,
   * once, or undefined when there is none (the credentials did not change).
   */
  onLoginRefused?: (role: NodeRole, tried: Endpoint) => Endpoint | undefined;
}

/** Same place, same credentials: nothing to retry. */
export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.host === b.host && a.port === b.port && a.socket === b.socket && a.user === b.user && a.password === b.password;
}

export function keptSessions(endpoints: NodeEndpoints, options: KeptSessionsOptions | (() => number) = {}): KeptSessions {
  const opts: KeptSessionsOptions = typeof options === 'function' ? { now: options } : options;
  const now = opts.now ?? Date.now;
  const slots: Record<NodeRole, Slot> = {
    local: { session: undefined, lent: false, failures: 0, retryAt: 0, lastError: undefined, target: undefined },
    peer: { session: undefined, lent: false, failures: 0, retryAt: 0, lastError: undefined, target: undefined },
  };
  let closed = false;

  const forget = (slot: Slot): void => {
    const s = slot.session;
    slot.session = undefined;
    slot.lent = false;
    s?.close();
  };

  /** One connect; after a refused login, one more with the credentials the caller has now, if they differ. */
  async function connectOrRetry(role: NodeRole, endpoint: Endpoint, deadline: Deadline): Promise<Session> {
    try {
      return await connect(endpoint, deadline, ROLE_LABEL[role]);
    } catch (e) {
      const err = toCheckError(e);
      if (err.code !== 'AUTH_FAILED' || opts.onLoginRefused === undefined || closed) throw err;
      let retry: Endpoint | undefined;
      try {
        retry = opts.onLoginRefused(role, endpoint);
      } catch {
        retry = undefined;
      }
      if (retry === undefined || sameEndpoint(retry, endpoint)) throw err;
      return connect(retry, deadline, ROLE_LABEL[role]);
    }
  }

  async function fresh(role: NodeRole, slot: Slot, deadline: Deadline, endpoint: Endpoint): Promise<Session> {
    const wait = slot.retryAt - now();
    if (wait > 0 && slot.lastError !== undefined) {
      const last = slot.lastError;
      // The server's errno travels on: it tells a refusing peer from a dead one.
      throw new CheckError(last.code, `${last.message} (next connect in ${wait} ms)`, {
        cause: last,
        ...(last.serverErrno === undefined ? {} : { serverErrno: last.serverErrno }),
      });
    }
    let session: Session;
    try {
      session = await connectOrRetry(role, endpoint, deadline);
    } catch (e) {
      const err = toCheckError(e);
      slot.failures += 1;
      slot.retryAt = now() + backoffMs(slot.failures);
      slot.lastError = err;
      throw err;
    }
    slot.failures = 0;
    slot.retryAt = 0;
    slot.lastError = undefined;
    // Kept only when the slot is free: after a drop() a late check may still hold an old one.
    if (!closed && slot.session === undefined) {
      slot.session = session;
      slot.lent = true;
    }
    return session;
  }

  return {
    async acquire(role, deadline, override) {
      const slot = slots[role];
      const endpoint = override ?? endpointOf(endpoints, role);
      const target = targetKey(endpoint);
      if (slot.target !== target) {
        // Another server now: its session and its backoff are not this one's.
        if (slot.session !== undefined && !slot.lent) forget(slot);
        slot.failures = 0;
        slot.retryAt = 0;
        slot.lastError = undefined;
        slot.target = target;
      }
      const kept = slot.session;
      if (kept !== undefined && !slot.lent) {
        slot.lent = true;
        try {
          await kept.ping(deadline);
          return kept;
        } catch {
          if (slot.session === kept) forget(slot);
          else kept.close();
        }
      }
      return fresh(role, slot, deadline, endpoint);
    },

    release(role, session, failed) {
      const slot = slots[role];
      if (slot.session !== session) {
        session.close();
        return;
      }
      if (failed || closed) forget(slot);
      else slot.lent = false;
    },

    drop() {
      forget(slots.local);
      forget(slots.peer);
    },

    close() {
      closed = true;
      forget(slots.local);
      forget(slots.peer);
    },
  };
}
