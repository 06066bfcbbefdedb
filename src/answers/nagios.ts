/**
 * The Nagios/Icinga view of a check (design.md section 3), pure: from the
 * facts and the LB decision to a plugin state, a one-line summary, detail
 * lines and performance data, and the formatting of all that.
 *
 * - CRITICAL: local unreachable or auth failure; replication stopped/broken
 *   while the peer is up; lag beyond -c; the LB verdict would be DOWN for any
 *   reason other than maintenance.
 * - WARNING: lag beyond -w; peer unreachable (serving alone); maintenance file
 *   present; heartbeat age beyond its optional range.
 * - UNKNOWN: bad arguments, option file problems, internal errors (decided by
 *   the executable before any of this runs).
 * - Timeout: the state chosen by `-t SECONDS:STATE` (CRITICAL by default).
 *
 * A NULL lag is never reported as 0: it is "lag unknown" in text and `U` in
 * perfdata (the guidelines' "value could not be determined").
 */
import {
  describeChannel,
  describeHeartbeat,
  LOCAL_FAILURE_REASONS,
  selectChannels,
  type Decision,
  type Facts,
} from '../core/decide';
import type { HeartbeatRead } from '../core/heartbeat';
import { describeRange, rangeAlerts, type Range } from './range';
import { isChannelRunning, type ReplicaChannel } from '../core/replica-status';
import { CheckError } from '../core/errors';

export type NagiosState = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

export const EXIT_CODE: Readonly<Record<NagiosState, number>> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

/** Severity for "the worst one decides": CRITICAL > WARNING > UNKNOWN > OK (monitoring-plugins' max_state_alt). */
const SEVERITY: Readonly<Record<NagiosState, number>> = { OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3 };

export function worstState(states: readonly NagiosState[]): NagiosState {
  let worst: NagiosState = 'OK';
  for (const s of states) if (SEVERITY[s] > SEVERITY[worst]) worst = s;
  return worst;
}

export const PREFIX = 'MYSQL FAILOVER';

/** `-t SECONDS[:STATE]`: STATE is a name (any case) or 0-3, as monitoring-plugins' own plugins accept. */
export function parseTimeoutOption(text: string): { seconds: string; state: NagiosState } {
  const colon = text.indexOf(':');
  if (colon === -1) return { seconds: text, state: 'CRITICAL' };
  const seconds = text.slice(0, colon);
  const stateText = text
    .slice(colon + 1)
    .trim()
    .toUpperCase();
  const byNumber: Record<string, NagiosState> = { '0': 'OK', '1': 'WARNING', '2': 'CRITICAL', '3': 'UNKNOWN' };
  const state = byNumber[stateText] ?? (stateText in EXIT_CODE ? (stateText as NagiosState) : undefined);
  if (state === undefined) {
    throw new CheckError(
      'USAGE',
      `--timeout: bad state ${JSON.stringify(text.slice(colon + 1))} in ${JSON.stringify(text)} (OK, WARNING, CRITICAL or UNKNOWN)`,
    );
  }
  return { seconds, state };
}

export interface PluginThresholds {
  lagWarning?: Range | undefined;
  lagCritical?: Range | undefined;
  heartbeatWarning?: Range | undefined;
  heartbeatCritical?: Range | undefined;
  /** --channel: only this channel is evaluated. */
  channel?: string | undefined;
  timeoutState: NagiosState;
  timeoutSeconds: number;
}

export interface PluginInput {
  decision: Decision;
  /** Undefined when the check did not get as far as facts (an internal error). */
  facts: Facts | undefined;
  heartbeat?: HeartbeatRead | undefined;
  elapsedMs: number;
  /** The hard guard fired: the check did not finish within -t. */
  timedOut?: boolean;
}

export interface Perfdatum {
  label: string;
  /** null: could not be determined (printed as U). */
  value: number | null;
  uom?: string;
  warn?: string | undefined;
  crit?: string | undefined;
  min?: number | undefined;
  max?: number | undefined;
}

export interface Problem {
  state: NagiosState;
  text: string;
}

export interface PluginReport {
  state: NagiosState;
  summary: string;
  problems: Problem[];
  details: string[];
  perfdata: Perfdatum[];
}

function channelLabel(c: ReplicaChannel): string {
  return c.name === '' ? 'default channel' : `channel '${c.name}'`;
}

/** Perfdata label of a channel's lag: `lag`, or `lag_NAME` for named channels. */
export function lagLabel(c: ReplicaChannel): string {
  return c.name === '' ? 'lag' : `lag_${c.name}`;
}

function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return String(Math.round(n * 1000) / 1000);
}

function describeThresholds(name: string, w: Range | undefined, c: Range | undefined): string | undefined {
  const parts: string[] = [];
  if (w) parts.push(`warning ${w.text} (${describeRange(w)})`);
  if (c) parts.push(`critical ${c.text} (${describeRange(c)})`);
  return parts.length === 0 ? undefined : `${name} thresholds: ${parts.join(', ')}`;
}

/** The state a value earns against a warning and a critical range. */
export function rangeState(value: number, w: Range | undefined, c: Range | undefined): NagiosState {
  if (c && rangeAlerts(c, value)) return 'CRITICAL';
  if (w && rangeAlerts(w, value)) return 'WARNING';
  return 'OK';
}

export function evaluate(input: PluginInput, t: PluginThresholds): PluginReport {
  const problems: Problem[] = [];
  const details: string[] = [];
  const perfdata: Perfdatum[] = [];
  const { decision, facts } = input;
  const add = (state: NagiosState, text: string): void => {
    problems.push({ state, text });
  };
  const checkTime: Perfdatum = { label: 'time', value: input.elapsedMs / 1000, uom: 's', min: 0 };

  if (input.timedOut) {
    add(t.timeoutState, `check timed out after ${formatNumber(t.timeoutSeconds)} s`);
    return finish(problems, details, [checkTime], undefined);
  }
  if (facts === undefined) {
    add('UNKNOWN', decision.detail);
    details.push(...decision.steps.map((s) => `decision: ${s}`));
    return finish(problems, details, [checkTime], undefined);
  }

  if (facts.maintenance) {
    add('WARNING', 'maintenance file present, the load balancer is told DOWN');
    details.push(...decision.steps.map((s) => `decision: ${s}`));
    return finish(problems, details, [checkTime], decision);
  }

  // The local server.
  const local = facts.local;
  if (!local.ok) {
    if (local.error.code === 'TIMEOUT') {
      add(t.timeoutState, `timeout after ${formatNumber(t.timeoutSeconds)} s: ${local.error.message}`);
    } else {
      add('CRITICAL', local.error.message);
    }
    details.push(local.error.message);
  } else {
    const hb = input.heartbeat;
    details.push(
      hb
        ? `local server: ${hb.version}, server_id ${hb.serverId}; heartbeat ${hb.keyed ? `row of node '${hb.node}'` : 'one-row table'}: ${describeHeartbeat(local.heartbeat)}`
        : `local server reachable; ${describeHeartbeat(local.heartbeat)}`,
    );
  }

  // The peer.
  const peer = facts.peer;
  const peerDown = peer.configured && !peer.ok && !peer.reachable;
  if (peer.configured) {
    if (!peer.ok && !peer.reachable) {
      add('WARNING', `peer unreachable, serving alone: ${peer.error.message}`);
      details.push(`peer: unreachable: ${peer.error.message}`);
    } else if (!peer.ok) {
      // Reported with the decision's warnings below: alive, but refusing us.
      details.push(`peer: refused: ${peer.error.message}`);
    } else {
      details.push('peer: reachable');
    }
    perfdata.push({ label: 'peer_reachable', value: peerDown ? 0 : 1, min: 0, max: 1 });
  } else {
    details.push(peer.unresolved !== undefined ? `peer: none: ${peer.unresolved.message}` : 'peer: none configured');
  }
  // What did not decide the verdict but must be seen: a refusing peer, a
  // --peer that is not the replication source, a replica status that cannot
  // be read while the heartbeat is fresh.
  for (const w of decision.warnings) add('WARNING', w);

  if (local.ok) {
    // The heartbeat age: only judged when a range is given.
    const hb = local.heartbeat;
    const age = hb.state === 'ok' || hb.state === 'future' ? hb.age : null;
    perfdata.unshift({
      label: 'heartbeat_age',
      value: age,
      uom: 's',
      warn: t.heartbeatWarning?.text,
      crit: t.heartbeatCritical?.text,
    });
    if (t.heartbeatWarning || t.heartbeatCritical) {
      if (age === null) {
        add(t.heartbeatCritical ? 'CRITICAL' : 'WARNING', describeHeartbeat(hb));
      } else {
        const s = rangeState(age, t.heartbeatWarning, t.heartbeatCritical);
        if (s !== 'OK') {
          const r = s === 'CRITICAL' ? t.heartbeatCritical : t.heartbeatWarning;
          add(s, `heartbeat age ${formatNumber(age)} s (${s.toLowerCase()} ${r?.text})`);
        }
      }
    }
    const hbt = describeThresholds('heartbeat age', t.heartbeatWarning, t.heartbeatCritical);
    if (hbt) details.push(hbt);

    // Replication, channel by channel; the worst one decides.
    const channels = selectChannels(local.channels, t.channel);
    if (local.channels.length === 0) details.push('replication: none configured');
    if (t.channel !== undefined && channels.length === 0) {
      add('CRITICAL', `replication channel '${t.channel}' not configured`);
    }
    const lagPerf: Perfdatum[] = [];
    for (const c of channels) {
      lagPerf.push({
        label: lagLabel(c),
        value: c.lag,
        uom: 's',
        warn: t.lagWarning?.text,
        crit: t.lagCritical?.text,
        min: 0,
      });
      let state: NagiosState = 'OK';
      if (!isChannelRunning(c)) {
        // With the peer down, a replica I/O thread that cannot connect is the
        // expected consequence (already a WARNING); a stopped SQL thread is not.
        state = peerDown && c.sqlRunning === 'Yes' ? 'WARNING' : 'CRITICAL';
        add(state, `replication not running: ${describeChannel(c)}`);
      } else if (c.lag !== null) {
        state = rangeState(c.lag, t.lagWarning, t.lagCritical);
        if (state !== 'OK') {
          const r = state === 'CRITICAL' ? t.lagCritical : t.lagWarning;
          add(state, `${channelLabel(c)} lag ${formatNumber(c.lag)} s (${state.toLowerCase()} ${r?.text})`);
        }
      }
      details.push(`${describeChannel(c)}${c.sqlDelay > 0 ? `, delay ${c.sqlDelay} s` : ''}: ${state}`);
      if (c.lastIoErrno !== 0 || c.lastIoError !== '') details.push(`  last IO error ${c.lastIoErrno}: ${c.lastIoError}`);
      if (c.lastSqlErrno !== 0 || c.lastSqlError !== '') details.push(`  last SQL error ${c.lastSqlErrno}: ${c.lastSqlError}`);
    }
    perfdata.unshift(...lagPerf);
    const lt = describeThresholds('lag', t.lagWarning, t.lagCritical);
    if (lt) details.push(lt);
  }

  // What the load balancer would be told (computed without stamping).
  // Rows already reported above in their own words are not repeated.
  const alreadySaid =
    decision.reason === 'maintenance' ||
    LOCAL_FAILURE_REASONS.has(decision.reason) ||
    decision.reason === 'replication-stopped' ||
    (decision.reason === 'not-a-replica' && t.channel !== undefined);
  let lbSaid = false;
  if (decision.verdict === 'DOWN' && !alreadySaid) {
    add('CRITICAL', `the load balancer would be told DOWN (${decision.reason}): ${decision.detail}`);
    lbSaid = true;
  }
  details.push(...decision.steps.map((s) => `decision: ${s}`));

  perfdata.push(checkTime);
  const okParts: string[] = [];
  if (local.ok) {
    const channels = selectChannels(local.channels, t.channel);
    if (channels.length === 0) okParts.push('no replication configured');
    else {
      const lags = channels.map((c) => c.lag).filter((l): l is number => l !== null);
      const running = channels.length === 1 ? 'replication running' : `${channels.length} channels running`;
      okParts.push(lags.length > 0 ? `${running}, lag ${formatNumber(Math.max(...lags))} s` : running);
    }
    okParts.push(describeHeartbeat(local.heartbeat));
    if (facts.peer.configured) okParts.push('peer reachable');
  }
  return finish(problems, details, perfdata, lbSaid ? undefined : decision, okParts);
}

function finish(
  problems: Problem[],
  details: string[],
  perfdata: Perfdatum[],
  decision: Decision | undefined,
  okParts: string[] = [],
): PluginReport {
  const state = worstState(problems.map((p) => p.state));
  const ordered = [...problems].sort((a, b) => SEVERITY[b.state] - SEVERITY[a.state]);
  let summary = ordered.length > 0 ? ordered.map((p) => p.text).join('; ') : okParts.join(', ');
  if (decision !== undefined) {
    const lb = `LB verdict ${decision.verdict} (${decision.reason})`;
    summary = summary === '' ? lb : `${summary}; ${lb}`;
  }
  return { state, summary, problems: ordered, details, perfdata };
}

/**
 * Quotes a perfdata label: single quotes always (the Icinga guidelines ask
 * for them), a quote inside doubled; '=' cannot be escaped, so it becomes '_'.
 */
export function perfLabel(label: string): string {
  return `'${label.replace(/=/g, '_').replace(/'/g, "''")}'`;
}

/** `'label'=value[UOM];[warn];[crit];[min];[max]`, trailing empty fields dropped. */
export function formatPerfdatum(p: Perfdatum): string {
  const value = p.value === null ? 'U' : `${formatNumber(p.value)}${p.uom ?? ''}`;
  const fields = [
    value,
    p.warn ?? '',
    p.crit ?? '',
    p.min === undefined ? '' : formatNumber(p.min),
    p.max === undefined ? '' : formatNumber(p.max),
  ];
  while (fields.length > 1 && fields[fields.length - 1] === '') fields.pop();
  return `${perfLabel(p.label)}=${fields.join(';')}`;
}

/** Plugin text may not contain '|' (it starts perfdata) nor break lines where we did not mean to. */
function clean(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/\|/g, '/');
}

/** The plugin's whole output: the status line with perfdata, then (with -v) the detail lines. */
export function formatOutput(report: PluginReport, verbose: boolean): string {
  const perf = report.perfdata.map(formatPerfdatum).join(' ');
  let out = `${PREFIX} ${report.state} - ${clean(report.summary)}${perf ? ` | ${perf}` : ''}\n`;
  if (verbose) for (const d of report.details) out += `${clean(d)}\n`;
  return out;
}

/** For failures before any check ran: bad options, option files, internal errors. */
export function unknownOutput(message: string, extraLines: readonly string[] = []): string {
  return [`${PREFIX} UNKNOWN - ${clean(message)}`, ...extraLines].join('\n') + '\n';
}
