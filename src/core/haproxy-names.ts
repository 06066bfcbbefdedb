/**
 * HAProxy's runtime API addresses and server names, as the options give
 * them: parsed and checked here, purely, so that reading the options never
 * loads the socket code (src/io/haproxy-runtime.ts talks to HAProxy).
 */
import { CheckError } from './errors';

/** An IPv6 literal as HAProxy's `stats socket` takes one in brackets (no zone index). */
function isIpv6(host: string): boolean {
  return host.includes(':') && /^[0-9A-Fa-f:.]+$/.test(host) && host.split('::').length <= 2;
}

export type RuntimeAddress = { socket: string } | { host: string; port: number };

export interface ServerRef {
  backend: string;
  server: string;
}

export type AdminState = 'ready' | 'drain' | 'maint';

export const ADMIN_STATES: readonly AdminState[] = ['ready', 'drain', 'maint'];

/** More than any `show servers state` of one backend; a peer sending more is not HAProxy. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * An absolute unix socket path, HOST:PORT or [IPv6]:PORT, as `stats socket`
 * accepts them. Anything else is USAGE.
 */
export function parseRuntimeAddress(text: string): RuntimeAddress {
  const bad = (why: string) =>
    new CheckError(
      'USAGE',
      `HAProxy runtime API address ${JSON.stringify(text)}: ${why} (want an absolute socket path, HOST:PORT or [IPv6]:PORT)`,
    );
  if (text.startsWith('/')) {
    if (text.includes('\0')) throw bad('a NUL byte in the path');
    return { socket: text };
  }
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):([0-9]{1,5})$/.exec(text);
  if (m === null) throw bad('not a path or HOST:PORT');
  const host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  if (m[1] !== undefined && !isIpv6(host)) throw bad('not an IPv6 address in the brackets');
  if (!(port >= 1 && port <= 65535)) throw bad('port out of range');
  return { host, port };
}

/** For log lines and messages: the address as the operator wrote it. */
export function formatRuntimeAddress(addr: RuntimeAddress): string {
  if ('socket' in addr) return addr.socket;
  return addr.host.includes(':') ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
}

/**
 * HAProxy's name charset for proxies and servers (letters, digits, '-',
 * '_', '.', ':'). Checking it here also keeps a name from smuggling a second
 * command (';' and newline separate CLI commands) into ours.
 */
const NAME = /^[A-Za-z0-9_.:-]+$/;

/** BACKEND/SERVER, both names in HAProxy's charset; USAGE otherwise. */
export function parseServerRef(text: string): ServerRef {
  const slash = text.indexOf('/');
  const backend = slash < 0 ? '' : text.slice(0, slash);
  const server = slash < 0 ? '' : text.slice(slash + 1);
  if (!NAME.test(backend) || !NAME.test(server)) {
    throw new CheckError(
      'USAGE',
      `HAProxy server ${JSON.stringify(text)}: want BACKEND/SERVER, each made of letters, digits, '-', '_', '.' and ':'`,
    );
  }
  return { backend, server };
}
