/**
 * The Nagios/Icinga view of a check (docs/design.md, "The Nagios states"),
 * pure: from the facts and the LB decision to a plugin state, a one-line
 * summary, detail lines and performance data (perfdata.ts), and the
 * formatting of all that. evaluate() adds up one part per fact: the local
 * server, the peer, the heartbeat's age, the replication channels and the
 * load balancer's verdict.
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
  type Heartbeat,
  type LocalFacts,
  type PeerFacts,
} from '../core/decide';
import { CheckError } from '../core/errors';
import type { HeartbeatRead } from '../core/heartbeat';
import { isChannelRunning, type ReplicaChannel } from '../core/replica-status';
import type { ProbeResult } from '../probe/probe';
import { formatNumber, formatPerfdatum, type Perfdatum } from './perfdata';
import { describeRange, rangeAlerts, type Range } from './range';

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

/**
 * What the plugin judges: a probe's result (src/probe/probe.ts). `facts` is
 * undefined when the probe did not get as far (an internal error, or
 * `timedOut`: it did not finish within -t).
 */
export type PluginInput = Pick<ProbeResult, 'decision' | 'facts' | 'elapsedMs'> &
  Partial<Pick<ProbeResult, 'heartbeat' | 'timedOut' | 'wouldBe'>> & {
    /** The failover state, when the failover options are set (src/core/failover-state.ts describeState). */
    failoverState?: { state: string; since: number; evidence: string; ends: string } | undefined;
  };

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

/** One part of the report: what one fact contributes, in the order it is reported. */
interface Part {
  problems: Problem[];
  details: string[];
  perfdata: Perfdatum[];
}

const NOTHING: Part = { problems: [], details: [], perfdata: [] };

function problem(state: NagiosState, text: string): Problem {
  return { state, text };
}

/** The local server: reachable (its identity), or the problem that it is not. */
function localServerPart(local: LocalFacts, hb: HeartbeatRead | undefined, t: PluginThresholds): Part {
  // Not asked, because of the maintenance file (a load-balancer probe's facts): nothing to judge.
  if (!local.ok && local.error.code === 'MAINTENANCE') return { problems: [], details: [local.error.message], perfdata: [] };
  if (!local.ok) {
    const p =
      local.error.code === 'TIMEOUT'
        ? problem(t.timeoutState, `timeout after ${formatNumber(t.timeoutSeconds)} s: ${local.error.message}`)
        : problem('CRITICAL', local.error.message);
    return { problems: [p], details: [local.error.message], perfdata: [] };
  }
  const line = hb
    ? `local server: ${hb.version}, server_id ${hb.serverId}; heartbeat ${hb.keyed ? `row of node '${hb.node}'` : 'one-row table'}: ${describeHeartbeat(local.heartbeat)}`
    : `local server reachable; ${describeHeartbeat(local.heartbeat)}`;
  return { problems: [], details: [line], perfdata: [] };
}

/**
 * The peer: WARNING when unreachable (this node serves alone). A peer that
 * refuses us is alive (reachable 1); its refusal is one of the decision's
 * warnings (warningsPart).
 */
function peerPart(peer: PeerFacts): Part {
  if (!peer.configured) {
    const none = peer.unresolved !== undefined ? `peer: none: ${peer.unresolved.message}` : 'peer: none configured';
    return { problems: [], details: [none], perfdata: [] };
  }
  const down = !peer.ok && !peer.reachable;
  const reachable: Perfdatum = { label: 'peer_reachable', value: down ? 0 : 1, min: 0, max: 1 };
  if (peer.ok) return { problems: [], details: ['peer: reachable'], perfdata: [reachable] };
  if (!down) return { problems: [], details: [`peer: refused: ${peer.error.message}`], perfdata: [reachable] };
  return {
    problems: [problem('WARNING', `peer unreachable, serving alone: ${peer.error.message}`)],
    details: [`peer: unreachable: ${peer.error.message}`],
    perfdata: [reachable],
  };
}

/**
 * What did not decide the verdict but must be seen: a refusing peer, a
 * --peer that is not the replication source, a replica status that cannot
 * be read while the heartbeat is fresh.
 */
function warningsPart(decision: Decision): Part {
  return { problems: decision.warnings.map((w) => problem('WARNING', w)), details: [], perfdata: [] };
}

/** The failover state: WARNING while a change is held back, CRITICAL while latched. */
function failoverPart(f: PluginInput['failoverState']): Part {
  if (f === undefined) return NOTHING;
  const since = new Date(f.since).toISOString();
  const line = `failover state ${f.state} since ${since}${f.evidence ? `: ${f.evidence}` : ''}; ends: ${f.ends}`;
  const state: NagiosState | undefined =
    f.state === 'failed' ? 'CRITICAL' : f.state === 'failing' || f.state === 'recovering' ? 'WARNING' : undefined;
  return {
    problems: state === undefined ? [] : [problem(state, `failover state ${f.state} since ${since}: ${f.ends}`)],
    details: [line],
    perfdata: [],
  };
}

/** The heartbeat's age: always in perfdata, judged only against the ranges given. */
function heartbeatPart(hb: Heartbeat, t: PluginThresholds): Part {
  const problems: Problem[] = [];
  const age = hb.state === 'ok' || hb.state === 'future' ? hb.age : null;
  const perfdata: Perfdatum[] = [
    { label: 'heartbeat_age', value: age, uom: 's', warn: t.heartbeatWarning?.text, crit: t.heartbeatCritical?.text },
  ];
  if (t.heartbeatWarning || t.heartbeatCritical) {
    if (age === null) {
      problems.push(problem(t.heartbeatCritical ? 'CRITICAL' : 'WARNING', describeHeartbeat(hb)));
    } else {
      const s = rangeState(age, t.heartbeatWarning, t.heartbeatCritical);
      if (s !== 'OK') {
        const r = s === 'CRITICAL' ? t.heartbeatCritical : t.heartbeatWarning;
        problems.push(problem(s, `heartbeat age ${formatNumber(age)} s (${s.toLowerCase()} ${r?.text})`));
      }
    }
  }
  const thresholds = describeThresholds('heartbeat age', t.heartbeatWarning, t.heartbeatCritical);
  return { problems, details: thresholds ? [thresholds] : [], perfdata };
}

/** Replication, channel by channel (or the one --channel names); the worst one decides. */
function channelsPart(all: readonly ReplicaChannel[], t: PluginThresholds, peerDown: boolean): Part {
  const problems: Problem[] = [];
  const details: string[] = [];
  const perfdata: Perfdatum[] = [];
  const channels = selectChannels(all, t.channel);
  if (all.length === 0) details.push('replication: none configured');
  if (t.channel !== undefined && channels.length === 0) {
    problems.push(problem('CRITICAL', `replication channel '${t.channel}' not configured`));
  }
  for (const c of channels) {
    perfdata.push({ label: lagLabel(c), value: c.lag, uom: 's', warn: t.lagWarning?.text, crit: t.lagCritical?.text, min: 0 });
    let state: NagiosState = 'OK';
    if (!isChannelRunning(c)) {
      // With the peer down, a replica I/O thread that cannot connect is the
      // expected consequence (already a WARNING); a stopped SQL thread is not.
      state = peerDown && c.sqlRunning === 'Yes' ? 'WARNING' : 'CRITICAL';
      problems.push(problem(state, `replication not running: ${describeChannel(c)}`));
    } else if (c.lag !== null) {
      state = rangeState(c.lag, t.lagWarning, t.lagCritical);
      if (state !== 'OK') {
        const r = state === 'CRITICAL' ? t.lagCritical : t.lagWarning;
        problems.push(problem(state, `${channelLabel(c)} lag ${formatNumber(c.lag)} s (${state.toLowerCase()} ${r?.text})`));
      }
    }
    details.push(`${describeChannel(c)}${c.sqlDelay > 0 ? `, delay ${c.sqlDelay} s` : ''}: ${state}`);
    if (c.lastIoErrno !== 0 || c.lastIoError !== '') details.push(`  last IO error ${c.lastIoErrno}: ${c.lastIoError}`);
    if (c.lastSqlErrno !== 0 || c.lastSqlError !== '') details.push(`  last SQL error ${c.lastSqlErrno}: ${c.lastSqlError}`);
  }
  const thresholds = describeThresholds('lag', t.lagWarning, t.lagCritical);
  if (thresholds) details.push(thresholds);
  return { problems, details, perfdata };
}

/**
 * What the load balancer would be told (computed without stamping): CRITICAL
 * when DOWN, unless a row already reported above in its own words decided
 * it. `said`: the summary then does not repeat the verdict.
 */
function lbVerdictPart(decision: Decision, t: PluginThresholds): Part & { said: boolean } {
  const alreadySaid =
    decision.reason === 'maintenance' ||
    LOCAL_FAILURE_REASONS.has(decision.reason) ||
    // The failover state's own answers are reported by failoverPart, with their state.
    decision.reason === 'holding-down' ||
    decision.reason === 'awaiting-recover' ||
    decision.reason === 'replication-stopped' ||
    (decision.reason === 'not-a-replica' && t.channel !== undefined);
  const said = decision.verdict === 'DOWN' && !alreadySaid;
  return {
    problems: said ? [problem('CRITICAL', `the load balancer would be told DOWN (${decision.reason}): ${decision.detail}`)] : [],
    details: decisionPath(decision),
    perfdata: [],
    said,
  };
}

/** The maintenance file: WARNING, and what undraining would give (WARNING when that is DOWN). */
function maintenancePart(wouldBe: Decision | undefined): Part & { said: boolean } {
  const problems = [problem('WARNING', 'maintenance file present, the load balancer is told DOWN')];
  if (
    wouldBe !== undefined &&
    wouldBe.verdict === 'DOWN' &&
    !LOCAL_FAILURE_REASONS.has(wouldBe.reason) &&
    wouldBe.reason !== 'replication-stopped'
  ) {
    problems.push(problem('WARNING', `once undrained it would be told DOWN (${wouldBe.reason}): ${wouldBe.detail}`));
  }
  const ready = wouldBe === undefined ? [] : [`maintenance: once undrained: ${wouldBe.verdict} (${wouldBe.reason})`];
  return { problems, details: [...ready, ...decisionPath(wouldBe)], perfdata: [], said: false };
}

function decisionPath(decision: Decision | undefined): string[] {
  if (decision === undefined) return [];
  return decision.steps.map((s) => `decision: ${s}`);
}

/** The summary when nothing is wrong: replication, heartbeat, peer. */
function okParts(channels: readonly ReplicaChannel[], hb: Heartbeat, peer: PeerFacts, t: PluginThresholds): string[] {
  const parts: string[] = [];
  const selected = selectChannels(channels, t.channel);
  if (selected.length === 0) parts.push('no replication configured');
  else {
    const lags = selected.map((c) => c.lag).filter((l): l is number => l !== null);
    const running = selected.length === 1 ? 'replication running' : `${selected.length} channels running`;
    parts.push(lags.length > 0 ? `${running}, lag ${formatNumber(Math.max(...lags))} s` : running);
  }
  parts.push(describeHeartbeat(hb));
  if (peer.configured) parts.push('peer reachable');
  return parts;
}

export function evaluate(input: PluginInput, t: PluginThresholds): PluginReport {
  const { decision, facts } = input;
  const checkTime: Perfdatum = { label: 'time', value: input.elapsedMs / 1000, uom: 's', min: 0 };
  if (input.timedOut) {
    return finish([problem(t.timeoutState, `check timed out after ${formatNumber(t.timeoutSeconds)} s`)], [], [checkTime], undefined);
  }
  if (facts === undefined) return finish([problem('UNKNOWN', decision.detail)], decisionPath(decision), [checkTime], undefined);
  const local = facts.local;
  const server = localServerPart(local, input.heartbeat, t);
  const peer = peerPart(facts.peer);
  const heartbeat = local.ok ? heartbeatPart(local.heartbeat, t) : NOTHING;
  const peerDown = facts.peer.configured && !facts.peer.ok && !facts.peer.reachable;
  const channels = local.ok ? channelsPart(local.channels, t, peerDown) : NOTHING;
  // In maintenance the load balancer is told DOWN (maintenance): WARNING, and
  // the rest is judged as it would be once undrained, so a drained node is
  // still watched (replication broken stays CRITICAL).
  const drained = facts.maintenance ? maintenancePart(input.wouldBe) : undefined;
  const lb = drained ?? lbVerdictPart(decision, t);
  const parts = [server, peer, warningsPart(decision), heartbeat, channels, failoverPart(input.failoverState), lb];
  // While the failover state holds a change back (--down-after, --up-after),
  // the load balancer is not told yet: a WARNING, not a page.
  const holding = input.failoverState?.state === 'failing' || input.failoverState?.state === 'recovering';
  const problems = parts
    .flatMap((p) => p.problems)
    .map((p) => (holding && p.state === 'CRITICAL' ? { ...p, state: 'WARNING' as const } : p));
  return finish(
    problems,
    parts.flatMap((p) => p.details),
    // Perfdata in the order graphs have always had: lag, heartbeat age, peer, time.
    [...channels.perfdata, ...heartbeat.perfdata, ...peer.perfdata, checkTime],
    lb.said ? undefined : decision,
    local.ok ? okParts(local.channels, local.heartbeat, facts.peer, t) : [],
  );
}

/** The report from its parts: the worst problem decides the state; problems lead the summary, worst first. */
export function finish(
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
