/**
 * The peer and the node's replication source, pure. The peer is usually the
 * server this node replicates from: a --peer that is not the source of any
 * channel means the peer check is about another server than the one the
 * catch-up check waits for, and is reported. `--peer auto` takes the source
 * of the replication channel as the peer.
 */
import { selectChannels, type FactError } from './decide';
import type { ReplicaChannel } from './replica-status';

/**
 * An IP literal (compared as written) rather than a name (resolved first).
 * A loose test is enough: a name never consists of only digits and dots, or
 * hex digits and colons.
 */
export function isIpLiteral(host: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4 !== null) return v4.slice(1).every((octet) => Number(octet) <= 255);
  return host.includes(':') && /^[0-9A-Fa-f:.]+$/.test(host);
}

/** Failures that leave no sign of a server: nothing answered, or the line went dead before a login finished. */
const NO_ANSWER: ReadonlySet<string> = new Set(['CONNECT_FAILED', 'TIMEOUT', 'CONNECTION_LOST']);

/**
 * Whether a failed peer probe heard from a server (decision row 2 is for a
 * peer that cannot be reached at all). Any error packet proves a live server,
 * whatever it says (1045, 1044, 1040, 1129, ...); so does a failed TLS
 * set-up, which follows a greeting. When in doubt the peer counts as alive:
 * that only keeps the catch-up check in force, where the opposite answers UP.
 */
export function peerAnswered(e: FactError): boolean {
  return e.errno !== undefined || !NO_ANSWER.has(e.code);
}

export interface HostPort {
  host: string;
  port: number;
}

/** The source to use for --peer auto: that of the one channel, or of --channel's. */
export function autoPeerSource(channels: readonly ReplicaChannel[], channel: string | undefined): HostPort | FactError {
  const chosen = selectChannels(channels, channel);
  const unresolved = (message: string): FactError => ({ code: 'PEER_UNRESOLVED', message: `--peer auto: ${message}` });
  if (chosen.length === 0) {
    return unresolved(channel === undefined ? 'no replication channel to take the source from' : `no replication channel '${channel}'`);
  }
  if (chosen.length > 1) return unresolved(`${chosen.length} replication channels: name one with --channel`);
  const c = chosen[0] as ReplicaChannel;
  if (c.sourceHost === null || c.sourceHost === '') return unresolved('the replication channel names no source host');
  return { host: c.sourceHost, port: c.sourcePort ?? 3306 };
}

export function isHostPort(x: HostPort | FactError): x is HostPort {
  return 'host' in x;
}

/** Names that must be resolved before two hosts can be compared (IP literals compare as they are). */
export function namesToResolve(peer: HostPort, channels: readonly ReplicaChannel[]): string[] {
  const names = new Set<string>();
  for (const h of [peer.host, ...channels.map((c) => c.sourceHost)]) {
    if (h !== null && h !== '' && !isIpLiteral(h)) names.add(h.toLowerCase());
  }
  return [...names];
}

function addressesOf(host: string, resolved: ReadonlyMap<string, readonly string[]>): readonly string[] | undefined {
  if (isIpLiteral(host)) return [host];
  return resolved.get(host.toLowerCase());
}

/**
 * Whether `peer` is the source of one of `channels` (port and host, by name
 * or by address); undefined when that cannot be determined (no channel, a
 * name that did not resolve).
 */
export function peerIsSource(
  peer: HostPort,
  channels: readonly ReplicaChannel[],
  resolved: ReadonlyMap<string, readonly string[]>,
): boolean | undefined {
  const sources = channels.filter((c) => c.sourceHost !== null && c.sourceHost !== '');
  if (sources.length === 0) return undefined;
  let unknown = false;
  for (const c of sources) {
    if ((c.sourcePort ?? 3306) !== peer.port) continue;
    const host = c.sourceHost as string;
    if (host.toLowerCase() === peer.host.toLowerCase()) return true;
    const a = addressesOf(host, resolved);
    const b = addressesOf(peer.host, resolved);
    if (a === undefined || b === undefined) {
      unknown = true;
      continue;
    }
    if (a.some((x) => b.includes(x))) return true;
  }
  return unknown ? undefined : false;
}

export function describeSources(channels: readonly ReplicaChannel[]): string {
  return channels
    .map((c) => `${c.name === '' ? 'default channel' : `channel '${c.name}'`} from ${c.sourceHost ?? '?'}:${c.sourcePort ?? '?'}`)
    .join(', ');
}
