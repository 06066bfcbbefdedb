/**
 * HAProxy's runtime API (the `stats socket`): reading a server's
 * administrative state and forcing it with `set server B/S state
 * ready|drain|maint`. Behaviour checked against HAProxy 2.6 (Debian 12);
 * the commands used exist since 1.6.
 *
 * How the integrator maps this node's answer to a state (docs/design.md,
 * "Acting on transitions"): UP -> ready; DOWN or failed -> maint;
 * maintenance -> drain, or the state --agent-maintenance names. The push is
 * a reconciliation: it reads the state first and sends nothing when it
 * already is the wanted one. Nothing here ever changes an LB answer: a
 * failure is a CheckError for the caller to log and retry.
 *
 * HAProxy's answers are fixed strings of its CLI protocol ("Permission
 * denied", "No such server.", ...), not localised messages, so matching
 * them is how the protocol reports errors, not guessing from prose.
 * Socket errors are classified by Node's err.code.
 */
import * as net from 'node:net';
import { CheckError } from '../core/errors';
import {
  ADMIN_STATES,
  formatRuntimeAddress,
  MAX_ANSWER_BYTES,
  parseServerRef,
  type AdminState,
  type RuntimeAddress,
  type ServerRef,
} from '../core/haproxy-names';

export {
  ADMIN_STATES,
  formatRuntimeAddress,
  MAX_ANSWER_BYTES,
  parseRuntimeAddress,
  parseServerRef,
  type AdminState,
  type RuntimeAddress,
  type ServerRef,
} from '../core/haproxy-names';

function checkRef(ref: ServerRef): void {
  parseServerRef(`${ref.backend}/${ref.server}`);
}

/**
 * Sends one command and returns HAProxy's whole answer. One command per
 * connection ("non-interactive mode"): HAProxy answers and closes, so the
 * answer ends at EOF. Bounded by timeoutMs (connect included) and by
 * MAX_ANSWER_BYTES. Throws HAPROXY_UNREACHABLE for a socket error, a
 * timeout or a close without an answer, HAPROXY_DENIED when the socket is
 * below the level the command needs.
 */
export function runtimeCommand(addr: RuntimeAddress, command: string, timeoutMs: number): Promise<string> {
  const where = formatRuntimeAddress(addr);
  // A control character (a newline above all) would end our command and start another.
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(command)) {
    return Promise.reject(new CheckError('USAGE', `HAProxy runtime command with a control character: ${JSON.stringify(command)}`));
  }
  return new Promise<string>((resolve, reject) => {
    const socket = 'socket' in addr ? net.connect(addr.socket) : net.connect({ host: addr.host, port: addr.port });
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: CheckError | undefined, answer?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err !== undefined) reject(err);
      else resolve(answer ?? '');
    };
    const timer = setTimeout(
      () => finish(new CheckError('HAPROXY_UNREACHABLE', `HAProxy runtime API ${where}: no complete answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('connect', () => socket.write(`${command}\n`));
    socket.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_ANSWER_BYTES) {
        finish(new CheckError('HAPROXY_ERROR', `HAProxy runtime API ${where}: answer larger than ${MAX_ANSWER_BYTES} bytes`));
        return;
      }
      chunks.push(d);
    });
    socket.on('error', (e: NodeJS.ErrnoException) =>
      finish(new CheckError('HAPROXY_UNREACHABLE', `HAProxy runtime API ${where}: ${e.code ?? e.message}`, { cause: e })),
    );
    socket.on('close', () => {
      const answer = Buffer.concat(chunks).toString('utf8');
      if (answer === '') {
        finish(new CheckError('HAPROXY_UNREACHABLE', `HAProxy runtime API ${where}: closed the connection without an answer`));
      } else if (answer.trim() === 'Permission denied') {
        // The reply to any command above the socket's level (`level user` or `operator`).
        finish(
          new CheckError(
            'HAPROXY_DENIED',
            `HAProxy runtime API ${where}: permission denied for ${JSON.stringify(command)}; the socket needs "level admin"`,
          ),
        );
      } else {
        finish(undefined, answer);
      }
    });
  });
}

/** An unexpected answer, shortened and on one line, for a message. */
function brief(answer: string): string {
  return JSON.stringify(answer.trim().replace(/\s+/g, ' ').slice(0, 200));
}

/** The CLI's fixed replies for a backend or server that is not in the running configuration. */
const NO_SUCH = new Set(['No such server.', 'No such backend.', "Can't find backend."]);

function noSuchServer(addr: RuntimeAddress, ref: ServerRef): CheckError {
  return new CheckError(
    'HAPROXY_NO_SUCH_SERVER',
    `HAProxy runtime API ${formatRuntimeAddress(addr)}: no server ${ref.backend}/${ref.server}`,
  );
}

/**
 * srv_admin_state is a bit mask (HAProxy's management guide, "show servers
 * state", /usr/share/doc/haproxy/management.txt.gz):
 *   0x01 FMAINT  forced into maintenance (`set server ... state maint`, or `disabled` in the configuration)
 *   0x02 IMAINT  maintenance inherited from a tracked server
 *   0x04 CMAINT  the configuration said `disabled`; stays set after `state ready`,
 *                so alone it is NOT maintenance (a `disabled` server set ready shows 4 and takes traffic)
 *   0x08 FDRAIN  forced into drain (`set server ... state drain`)
 *   0x10 IDRAIN  drain inherited from a tracked server
 *   0x20 RMAINT  maintenance after an address resolution failure
 *   0x40 HMAINT  the FQDN was set from the stats socket; not a state
 * Maintenance wins over drain, as in HAProxy's own status.
 */
const MAINT_BITS = 0x01 | 0x02 | 0x20;
const DRAIN_BITS = 0x08 | 0x10;

export function adminStateFromMask(mask: number): AdminState {
  if ((mask & MAINT_BITS) !== 0) return 'maint';
  if ((mask & DRAIN_BITS) !== 0) return 'drain';
  return 'ready';
}

/** srv_op_state, named as in the management guide (SRV_ST_*). */
const OPERATIONAL = ['stopped', 'starting', 'running', 'stopping'] as const;

export interface ServerState {
  admin: AdminState;
  /** 'stopped' | 'starting' | 'running' | 'stopping', or the raw number of a newer HAProxy. */
  operational: string;
  /** srv_admin_state as HAProxy reports it. */
  adminMask: number;
}

/**
 * Parses `show servers state BACKEND` by its header's column names (the
 * order differs between format versions), returns the row of `ref`.
 */
export function parseServersState(answer: string, ref: ServerRef): ServerState | undefined {
  const lines = answer.split('\n');
  const header = lines.find((l) => l.startsWith('# '));
  if (header === undefined) throw new CheckError('HAPROXY_ERROR', `unexpected "show servers state" answer: ${brief(answer)}`);
  const names = header.slice(2).trim().split(/\s+/);
  const col = (name: string): number => {
    const i = names.indexOf(name);
    if (i < 0) throw new CheckError('HAPROXY_ERROR', `"show servers state" has no ${name} column: ${brief(header)}`);
    return i;
  };
  const [be, srv, op, admin] = [col('be_name'), col('srv_name'), col('srv_op_state'), col('srv_admin_state')];
  for (const line of lines) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const f = line.trim().split(/\s+/);
    if (f[be] !== ref.backend || f[srv] !== ref.server) continue;
    const mask = Number(f[admin]);
    const opNumber = Number(f[op]);
    if (!Number.isInteger(mask) || !Number.isInteger(opNumber)) {
      throw new CheckError('HAPROXY_ERROR', `unexpected "show servers state" row: ${brief(line)}`);
    }
    return { admin: adminStateFromMask(mask), operational: OPERATIONAL[opNumber] ?? String(opNumber), adminMask: mask };
  }
  return undefined;
}

export async function getServerState(addr: RuntimeAddress, ref: ServerRef, timeoutMs: number): Promise<ServerState> {
  checkRef(ref);
  const answer = await runtimeCommand(addr, `show servers state ${ref.backend}`, timeoutMs);
  if (NO_SUCH.has(answer.trim())) throw noSuchServer(addr, ref);
  const state = parseServersState(answer, ref);
  if (state === undefined) throw noSuchServer(addr, ref);
  return state;
}

export async function setServerState(addr: RuntimeAddress, ref: ServerRef, state: AdminState, timeoutMs: number): Promise<void> {
  checkRef(ref);
  if (!ADMIN_STATES.includes(state))
    throw new CheckError('USAGE', `HAProxy server state ${JSON.stringify(state)}: want ready, drain or maint`);
  const answer = await runtimeCommand(addr, `set server ${ref.backend}/${ref.server} state ${state}`, timeoutMs);
  const text = answer.trim();
  // Success is an empty answer (one empty line).
  if (text === '') return;
  if (NO_SUCH.has(text)) throw noSuchServer(addr, ref);
  throw new CheckError(
    'HAPROXY_ERROR',
    `HAProxy runtime API ${formatRuntimeAddress(addr)}: set server ${ref.backend}/${ref.server} state ${state}: ${brief(answer)}`,
  );
}

/**
 * Makes the server's state `want`, sending `set server` only when it is
 * not already; timeoutMs bounds both commands together. A state inherited
 * from a tracked server (IMAINT, IDRAIN) cannot be lifted here: the server
 * follows the one it tracks, and each call reports it as changed.
 */
export async function reconcileServerState(
  addr: RuntimeAddress,
  ref: ServerRef,
  want: AdminState,
  timeoutMs: number,
): Promise<{ changed: boolean; was: AdminState }> {
  const deadline = Date.now() + timeoutMs;
  const { admin: was } = await getServerState(addr, ref, timeoutMs);
  if (was === want) return { changed: false, was };
  await setServerState(addr, ref, want, Math.max(1, deadline - Date.now()));
  return { changed: true, was };
}

/** One push of a state to one HAProxy, as the hook job carries it (plain data, JSON-safe). */
export interface HaproxyPush {
  address: RuntimeAddress;
  ref: ServerRef;
  state: AdminState;
}

export interface PushOutcome {
  push: HaproxyPush;
  changed: boolean;
  was?: AdminState;
  /** The CheckError code when the push failed. */
  error?: string;
  detail?: string;
  durationMs: number;
}

/** reconcileServerState for a HaproxyPush; never rejects, a failure is in the outcome. */
export async function pushServerState(push: HaproxyPush, timeoutMs: number): Promise<PushOutcome> {
  const started = Date.now();
  try {
    const r = await reconcileServerState(push.address, push.ref, push.state, timeoutMs);
    return { push, changed: r.changed, was: r.was, durationMs: Date.now() - started };
  } catch (e) {
    const code = e instanceof CheckError ? e.code : 'INTERNAL';
    return { push, changed: false, error: code, detail: e instanceof Error ? e.message : String(e), durationMs: Date.now() - started };
  }
}

/** The push's log line, in the style of the --log-file lines. */
export function formatPushLine(o: PushOutcome, tool: string, now = new Date()): string {
  const { push } = o;
  const result =
    o.error === undefined ? `changed=${o.changed} was=${o.was ?? ''}` : `error=${o.error} detail=${JSON.stringify(o.detail ?? '')}`;
  return (
    `${now.toISOString()} ${tool} pid=${process.pid} haproxy=${JSON.stringify(formatRuntimeAddress(push.address))} ` +
    `server=${JSON.stringify(`${push.ref.backend}/${push.ref.server}`)} state=${JSON.stringify(push.state)} ${result} duration_ms=${o.durationMs}\n`
  );
}
