/**
 * Which server the peer is for this probe (--peer auto: the source of the
 * replication channel), and whether a configured --peer is that source at
 * all. The rules are pure (src/core/peer-source.ts); the name lookups here
 * are bounded.
 */
import type { Deadline } from '../core/deadline';
import { autoPeerSource, describeSources, isHostPort, namesToResolve, peerIsSource, type HostPort } from '../core/peer-source';
import type { ReplicaChannel } from '../core/replica-status';
import type { CheckSettings } from '../config/settings';
import type { Endpoint } from '../io/mysql';
import type { LocalGathered } from './facts';

/** The peer of --peer auto for this probe: the replication source, or why there is none. */
export function autoPeer(s: CheckSettings, local: LocalGathered): Endpoint | { code: string; message: string } {
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
export async function peerSourceWarning(peer: HostPort, channels: readonly ReplicaChannel[], dl: Deadline): Promise<string | undefined> {
  if (channels.length === 0) return undefined;
  const resolved = new Map<string, string[]>();
  const names = namesToResolve(peer, channels);
  if (names.length > 0) {
    // Loaded here: most probes never compare names, and dns is start-up cost.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const dns = require('node:dns') as typeof import('node:dns');
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.min(RESOLVE_BOUND_MS, dl.remaining()));
    });
    const lookups = Promise.all(
      names.map((n) =>
        dns.promises.lookup(n, { all: true }).then(
          (addrs) =>
            void resolved.set(
              n,
              addrs.map((a) => a.address),
            ),
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
