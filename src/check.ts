/**
 * One check: maintenance file, facts from both nodes in parallel, the
 * decision, and (for load-balancer modes) the heartbeat stamp.
 */
import { existsSync } from 'node:fs';
import { Deadline } from './deadline';
import { afterStampFailure, decide, isStale, type Decision, type Facts, type PeerFacts } from './decide';
import type { ReplicaChannel } from './replica-status';
import { factError, gatherLocal, probePeer, stampHeartbeat, trialStamp, type LocalGathered } from './facts';
import type { HeartbeatRead } from './heartbeat';
import type { Endpoint } from './mysql';
import { autoPeerSource, describeSources, isHostPort, namesToResolve, peerIsSource, type HostPort } from './peer-source';
import type { CheckSettings } from './settings';
import { perCheckSessions, type SessionSource } from './session-source';

export interface CheckOptions {
  /** Stamp the heartbeat when the verdict says so (LB modes); never for monitoring. */
  stamp: boolean;
  /**
   * When not stamping: try the stamp and roll it back (facts.ts trialStamp),
   * so a verdict the LB would turn into heartbeat-write-failed is reported as such.
   */
  trialStamp?: boolean;
  /** Read replication status even when the heartbeat is fresh (monitoring, people). */
  alwaysReadReplication: boolean;
  /** Where the sessions come from (default: a fresh one per check, closed afterwards). */
  sessions?: SessionSource | undefined;
}

export interface CheckResult {
  decision: Decision;
  facts: Facts | undefined;
  heartbeat: HeartbeatRead | undefined;
  stamped: boolean;
  elapsedMs: number;
}

/**
 * The peer gets at most this share of the deadline, so a hung peer cannot
 * eat the time the local node needs to answer and stamp: a healthy master
 * whose peer hangs must still say UP.
 */
export const PEER_SHARE = 0.5;

/** Row 0 of the decision table applies: the maintenance file exists. */
export function inMaintenance(s: CheckSettings): boolean {
  return s.maintenanceFile !== undefined && existsSync(s.maintenanceFile);
}

/** The facts while in maintenance: nothing else is looked at, no server is asked. */
export function maintenanceFacts(): Facts {
  return {
    maintenance: true,
    local: { ok: false, error: { code: 'MAINTENANCE', message: 'not checked (maintenance)' } },
    peer: { configured: false },
  };
}

export async function runCheck(s: CheckSettings, opts: CheckOptions, deadline?: Deadline): Promise<CheckResult> {
  const started = Date.now();
  const dl = deadline ?? Deadline.in(s.timeoutMs);
  const done = (decision: Decision, facts?: Facts, heartbeat?: HeartbeatRead, stamped = false): CheckResult => ({
    decision,
    facts,
    heartbeat,
    stamped,
    elapsedMs: Date.now() - started,
  });

  if (inMaintenance(s)) {
    const facts = maintenanceFacts();
    return done(decide(facts, s.thresholds), facts);
  }

  const sessions = opts.sessions ?? perCheckSessions(s);
  const peerDeadline = dl.within(Math.max(1, Math.floor(s.timeoutMs * PEER_SHARE)));
  const localPromise = gatherLocal(sessions, s.table, s.node, dl, (read) => {
    if (isStale(read.heartbeat, s.thresholds.fresh)) return 'required';
    return opts.alwaysReadReplication || s.peerAuto !== undefined ? 'optional' : 'skip';
  });
  let local: LocalGathered;
  let peer: PeerFacts;
  if (s.peerAuto === undefined) {
    [local, peer] = await Promise.all([localPromise, probePeer(sessions, s.peer, peerDeadline)]);
  } else {
    // The peer's address comes from the replica status, so it is asked after the local node.
    local = await localPromise;
    const target = autoPeer(s, local);
    peer = 'code' in target ? { configured: false, unresolved: target } : await probePeer(sessions, target, peerDeadline);
  }
  const facts: Facts = { maintenance: false, local: local.facts, peer };
  let decision = decide(facts, s.thresholds);
  if (s.peer?.host !== undefined && local.facts.ok) {
    const warning = await peerSourceWarning({ host: s.peer.host, port: s.peer.port ?? 3306 }, local.facts.channels, dl);
    if (warning !== undefined) decision.warnings.push(warning);
  }

  let stamped = false;
  let stampFailed = false;
  try {
    if (decision.stamp && local.session !== undefined && local.heartbeat !== undefined) {
      if (opts.stamp) {
        await stampHeartbeat(local.session, s.table, local.heartbeat, dl);
        stamped = true;
      } else if (opts.trialStamp === true) {
        await trialStamp(local.session, s.table, local.heartbeat, dl);
      }
    }
  } catch (e) {
    stampFailed = true;
    decision = afterStampFailure(decision, factError(e));
  } finally {
    if (local.session !== undefined) sessions.release('local', local.session, stampFailed);
  }
  return done(decision, facts, local.heartbeat, stamped);
}

/** The peer of --peer auto for this check: the replication source, or why there is none. */
function autoPeer(s: CheckSettings, local: LocalGathered): Endpoint | { code: string; message: string } {
  if (!local.facts.ok) return { code: 'PEER_UNRESOLVED', message: '--peer auto: the local server could not be asked for its source' };
  if (local.facts.replicationError !== undefined) {
    return { code: 'PEER_UNRESOLVED', message: `--peer auto: ${local.facts.replicationError.message}` };
  }
  const source = autoPeerSource(local.facts.channels, s.thresholds.channel);
  if (!isHostPort(source)) return source;
  return { host: source.host, port: source.port, user: s.peerAuto?.user, password: s.peerAuto?.password };
}

/** Longest we wait for the resolver when comparing --peer with the replication source. */
const RESOLVE_BOUND_MS = 500;

/**
 * Says when --peer is not the source of any replication channel. Names are
 * resolved (bounded: an unanswered lookup only means "cannot tell", never a
 * later answer); nothing is said when it cannot be determined.
 */
async function peerSourceWarning(peer: HostPort, channels: readonly ReplicaChannel[], dl: Deadline): Promise<string | undefined> {
  if (channels.length === 0) return undefined;
  const resolved = new Map<string, string[]>();
  const names = namesToResolve(peer, channels);
  if (names.length > 0) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const dns = require('node:dns') as typeof import('node:dns');
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.min(RESOLVE_BOUND_MS, dl.remaining()));
    });
    const lookups = Promise.all(
      names.map((n) =>
        dns.promises.lookup(n, { all: true }).then(
          (addrs) => void resolved.set(n, addrs.map((a) => a.address)),
          () => undefined,
        ),
      ),
    );
    await Promise.race([lookups, bound]);
    clearTimeout(timer);
  }
  if (peerIsSource(peer, channels, resolved) !== false) return undefined;
  const host = peer.host.includes(':') ? `[${peer.host}]` : peer.host;
  return `--peer ${host}:${peer.port} is not the source of any replication channel (${describeSources(channels)})`;
}
