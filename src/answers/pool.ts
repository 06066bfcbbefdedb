/**
 * `mysql-failover-check pool` for people and scripts, pure: the summary and
 * what an operator must see first, then the two nodes side by side, then
 * the details that do not fit a cell; or the same as JSON with stable keys
 * (docs/pool.md, "For scripts").
 *
 * The table is built as rows (poolRows) before it is printed
 * (formatPoolRows), so that a caller may add rows of its own.
 */
import type { Decision, Heartbeat } from '../core/decide';
import { isReachable, type PoolState } from '../core/pool';
import type { ReplicaChannel } from '../core/replica-status';
import type { PoolNode, PoolResult } from '../probe/pool';
import { formatNumber } from './perfdata';

export interface PoolRow {
  label: string;
  local: string;
  peer: string;
}

const NONE = '-';

/** Seconds, as people read them: whole ones, or to 3 decimals. */
function seconds(ms: number): string {
  return formatNumber(ms / 1000);
}

function reachableCell(n: PoolNode, timeoutMs: number): string {
  const code = n.error?.code ?? '';
  switch (n.connection) {
    case 'ok':
      return 'yes';
    case 'refused':
      return `refused: ${n.error?.errno !== undefined ? `${n.error.errno} ` : ''}(${code})`;
    case 'unreachable':
      return `no (${code})`;
    case 'no-answer':
      return `no answer within ${seconds(timeoutMs)} s`;
    case 'unknown':
      return 'unknown (no address)';
  }
}

function heartbeatCell(n: PoolNode): string {
  const hb = n.heartbeat;
  if (hb === undefined || n.facts === undefined || !n.facts.ok) return NONE;
  const h: Heartbeat = n.facts.heartbeat;
  const where = hb.keyed ? `row '${hb.node}'` : 'one-row table';
  if (h.state === 'empty') return hb.keyed ? `no row '${hb.node}'` : 'no row (one-row table)';
  if (h.state === 'null') return `NULL stamp (${where})`;
  if (h.state === 'future') return `${h.age === null ? '' : `${-h.age} s `}in the future (${where})`;
  return `age ${h.age} s (${where})`;
}

function channelCells(n: PoolNode): string[] {
  const f = n.facts;
  if (f === undefined || !f.ok) return [NONE];
  if (f.replicationError !== undefined) return ['cannot be read'];
  if (f.channels.length === 0) return ['none configured'];
  return f.channels.flatMap((c) => [channelState(c), `  from ${channelSource(c)}`]);
}

function channelState(c: ReplicaChannel): string {
  return `${c.name === '' ? 'default' : `'${c.name}'`}: IO ${c.ioRunning}, SQL ${c.sqlRunning}, ${c.lag === null ? 'lag unknown' : `lag ${c.lag} s`}`;
}

function channelSource(c: ReplicaChannel): string {
  const host = c.sourceHost ?? '?';
  const where = `${host.includes(':') ? `[${host}]` : host}:${c.sourcePort ?? '?'}`;
  return c.sourceServerId === null ? where : `${where} (server_id ${c.sourceServerId})`;
}

/** Epoch ms as ISO-8601 UTC to the second: the mirror keeps no more. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function stateCell(s: PoolState): string {
  if (s.kind !== 'known') return s.kind === 'none' ? 'none kept' : 'unknown';
  return `${s.name} since ${isoSeconds(s.since)} (${s.source === 'state-file' ? 'state file' : 'heartbeat row'})`;
}

function verdictCell(d: Decision): string {
  return `${d.verdict} (${d.reason})`;
}

/** The table: one row per fact, the local node's column and the peer's. */
export function poolRows(r: PoolResult): PoolRow[] {
  const { local, peer } = r;
  const rows: PoolRow[] = [];
  const row = (label: string, cell: (n: PoolNode) => string): void => {
    rows.push({ label, local: cell(local), peer: cell(peer) });
  };
  row('address', (n) => n.address);
  row('reachable', (n) => reachableCell(n, r.timeoutMs));
  row('server', (n) => (n.heartbeat === undefined ? NONE : `${n.heartbeat.version}, server_id ${n.heartbeat.serverId}`));
  row('read_only', (n) => (n.heartbeat?.readOnly === undefined ? NONE : n.heartbeat.readOnly ? 'ON' : 'OFF'));
  row('heartbeat', heartbeatCell);
  const lc = channelCells(local);
  const pc = channelCells(peer);
  for (let i = 0; i < Math.max(lc.length, pc.length); i++) {
    rows.push({ label: i === 0 ? 'replication' : '', local: lc[i] ?? '', peer: pc[i] ?? '' });
  }
  row('failover', (n) => stateCell(n.state));
  row('verdict', (n) => verdictCell(n.decision));
  if (local.wouldBe !== undefined || peer.wouldBe !== undefined) {
    row('undrained', (n) => (n.wouldBe === undefined ? '' : verdictCell(n.wouldBe)));
  }
  return rows;
}

/** Rows as aligned columns under a heading line. */
export function formatPoolRows(rows: readonly PoolRow[]): string {
  const label = Math.max(12, ...rows.map((r) => r.label.length)) + 1;
  const left = Math.max(20, ...rows.map((r) => r.local.length)) + 3;
  const line = (a: string, b: string, c: string): string => `${a.padEnd(label)} ${b.padEnd(left)}${c}`.replace(/\s+$/, '');
  return [line('', 'local', 'peer'), ...rows.map((r) => line(r.label, r.local, r.peer))].join('\n') + '\n';
}

/** What does not fit a cell: why each node answers as it does, its errors and warnings (also the plugin's -v lines). */
export function detailLines(n: PoolNode): string[] {
  const who = n.role === 'local' ? 'local' : 'peer ';
  const out = [`${who}  ${n.decision.verdict} (${n.decision.reason}): ${n.decision.detail}`];
  if (n.decision !== n.raw && (n.raw.verdict !== n.decision.verdict || n.raw.reason !== n.decision.reason)) {
    out.push(`${who}  the decision table alone says ${n.raw.verdict} (${n.raw.reason})`);
  }
  if (n.error !== undefined && n.error.message !== n.decision.detail) out.push(`${who}  ${n.error.message}`);
  if (n.facts?.ok === true) {
    if (n.facts.replicationError !== undefined) out.push(`${who}  replica status: ${n.facts.replicationError.message}`);
    for (const c of n.facts.channels) {
      const name = c.name === '' ? 'default channel' : `channel '${c.name}'`;
      if (c.lastIoErrno !== 0 || c.lastIoError !== '') out.push(`${who}  ${name}: last IO error ${c.lastIoErrno}: ${c.lastIoError}`);
      if (c.lastSqlErrno !== 0 || c.lastSqlError !== '') out.push(`${who}  ${name}: last SQL error ${c.lastSqlErrno}: ${c.lastSqlError}`);
    }
  }
  if (n.state.kind !== 'known') out.push(`${who}  failover state ${n.state.kind}: ${n.state.why}`);
  for (const w of n.decision.warnings) out.push(`${who}  warning: ${w}`);
  for (const note of n.notes) out.push(`${who}  state file: ${note}`);
  return out;
}

export function formatPoolText(r: PoolResult): string {
  const lines = [`pool: ${r.summary.text}`];
  for (const f of r.summary.flags) lines.push(`  !! ${f.code}: ${f.message}`);
  lines.push('');
  return lines.join('\n') + '\n' + formatPoolRows(poolRows(r)) + '\n' + [...detailLines(r.local), ...detailLines(r.peer)].join('\n') + '\n';
}

function decisionJson(d: Decision | undefined): Record<string, unknown> | null {
  return d === undefined ? null : { verdict: d.verdict, reason: d.reason, detail: d.detail };
}

function stateJson(s: PoolState): Record<string, unknown> {
  if (s.kind !== 'known') return { name: s.kind, since: null, source: null, why: s.why };
  return { name: s.name, since: new Date(s.since).toISOString(), source: s.source, why: null };
}

function nodeJson(n: PoolNode): Record<string, unknown> {
  const hb = n.heartbeat;
  const f = n.facts?.ok === true ? n.facts : undefined;
  return {
    role: n.role,
    address: n.address,
    reachable: isReachable(n.connection),
    connection: n.connection,
    error: n.error ?? null,
    version: hb?.version ?? null,
    serverId: hb?.serverId ?? null,
    readOnly: hb?.readOnly ?? null,
    heartbeat: f === undefined || hb === undefined ? null : { keyed: hb.keyed, node: hb.keyed ? hb.node : null, ...f.heartbeat },
    channels: f?.channels ?? [],
    replicationError: f?.replicationError ?? null,
    state: stateJson(n.state),
    verdict: n.decision.verdict,
    reason: n.decision.reason,
    detail: n.decision.detail,
    takesTraffic: n.decision.verdict === 'UP',
    raw: decisionJson(n.raw),
    wouldBe: decisionJson(n.wouldBe),
    warnings: n.decision.warnings,
    notes: n.notes,
  };
}

/** The same for scripts: `summary`, then `nodes` (local first), with the keys docs/pool.md lists. */
export function poolJson(r: PoolResult): Record<string, unknown> {
  return {
    summary: { pool: r.summary.pool, up: r.summary.up, text: r.summary.text, flags: r.summary.flags },
    nodes: [nodeJson(r.local), nodeJson(r.peer)],
    table: `${r.table.database}.${r.table.table}`,
    elapsedMs: r.elapsedMs,
  };
}
