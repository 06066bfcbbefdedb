/**
 * `check_mysql_failover --pool`: one Icinga/Nagios service for the pair
 * (docs/pool.md, "One service for the pair"), pure: from pool's result to a
 * plugin state, a summary, detail lines and performance data.
 *
 * - OK: both nodes would take traffic.
 * - WARNING: only one would (no redundancy); --peer is not the local node's
 *   replication source; a node's warnings; lag or heartbeat age outside -w
 *   or --heartbeat-warning.
 * - CRITICAL: no node would take traffic; the replication topology broken
 *   (a node replicates from a server other than the other node, or its
 *   replication stopped); lag or heartbeat age outside -c or
 *   --heartbeat-critical.
 *
 * Perfdata per node (`local_`, `peer_`): lag per channel (U when unknown or
 * not read, never 0), heartbeat age, reachable (0/1); then nodes_up and time.
 */
import type { FlagCode } from '../core/pool';
import { isReachable } from '../core/pool';
import type { PoolNode, PoolResult } from '../probe/pool';
import { finish, rangeState, type NagiosState, type PluginReport, type PluginThresholds, type Problem } from './nagios';
import { formatNumber, type Perfdatum } from './perfdata';
import { detailLines } from './pool';

/** How bad each flag is for the service: the topology and a stalled replica page someone; a misnamed --peer warns. */
const FLAG_STATE: Readonly<Record<FlagCode, NagiosState>> = {
  'no-traffic': 'CRITICAL',
  'foreign-source': 'CRITICAL',
  'replication-stopped': 'CRITICAL',
  'peer-not-source': 'WARNING',
};

function lagLabel(role: string, name: string): string {
  return name === '' ? `${role}_lag` : `${role}_lag_${name}`;
}

/** One node's perfdata and the problems its figures earn against the ranges. */
function nodeFigures(n: PoolNode, t: PluginThresholds): { problems: Problem[]; perfdata: Perfdatum[] } {
  const problems: Problem[] = [];
  const perfdata: Perfdatum[] = [];
  const facts = n.facts?.ok === true ? n.facts : undefined;
  const lagRange = { warn: t.lagWarning?.text, crit: t.lagCritical?.text, uom: 's', min: 0 };
  if (facts === undefined || facts.replicationError !== undefined) perfdata.push({ label: lagLabel(n.role, ''), value: null, ...lagRange });
  else {
    for (const c of facts.channels) {
      perfdata.push({ label: lagLabel(n.role, c.name), value: c.lag, ...lagRange });
      if (c.lag === null) continue;
      const state = rangeState(c.lag, t.lagWarning, t.lagCritical);
      if (state !== 'OK') {
        const r = state === 'CRITICAL' ? t.lagCritical : t.lagWarning;
        problems.push({ state, text: `${n.role}: lag ${formatNumber(c.lag)} s (${state.toLowerCase()} ${r?.text})` });
      }
    }
  }
  const hb = facts?.heartbeat;
  const age = hb !== undefined && (hb.state === 'ok' || hb.state === 'future') ? hb.age : null;
  perfdata.push({
    label: `${n.role}_heartbeat_age`,
    value: age,
    uom: 's',
    warn: t.heartbeatWarning?.text,
    crit: t.heartbeatCritical?.text,
  });
  if (age !== null && (t.heartbeatWarning !== undefined || t.heartbeatCritical !== undefined)) {
    const state = rangeState(age, t.heartbeatWarning, t.heartbeatCritical);
    if (state !== 'OK') problems.push({ state, text: `${n.role}: heartbeat age ${formatNumber(age)} s (${state.toLowerCase()})` });
  }
  perfdata.push({ label: `${n.role}_reachable`, value: isReachable(n.connection) ? 1 : 0, min: 0, max: 1 });
  return { problems, perfdata };
}

export function evaluatePool(r: PoolResult, t: PluginThresholds): PluginReport {
  const { summary } = r;
  const problems: Problem[] = [];
  if (summary.pool === 'one') problems.push({ state: 'WARNING', text: summary.text });
  for (const f of summary.flags) problems.push({ state: FLAG_STATE[f.code], text: f.message });
  for (const n of [r.local, r.peer]) {
    for (const w of n.decision.warnings) problems.push({ state: 'WARNING', text: `${n.role}: ${w}` });
  }
  const local = nodeFigures(r.local, t);
  const peer = nodeFigures(r.peer, t);
  problems.push(...local.problems, ...peer.problems);
  const verdicts = [r.local, r.peer].map((n) => `${n.role} ${n.decision.verdict} ${n.decision.reason}`).join(', ');
  const perfdata: Perfdatum[] = [
    ...local.perfdata,
    ...peer.perfdata,
    { label: 'nodes_up', value: summary.up, min: 0, max: 2 },
    { label: 'time', value: r.elapsedMs / 1000, uom: 's', min: 0 },
  ];
  const details = [...poolAddresses(r), ...detailLines(r.local), ...detailLines(r.peer)];
  return finish(problems, details, perfdata, undefined, [`${summary.text} (${verdicts})`]);
}

function poolAddresses(r: PoolResult): string[] {
  return [r.local, r.peer].map(
    (n) => `${n.role}: ${n.address}, ${n.connection}${n.heartbeat ? `, server_id ${n.heartbeat.serverId}` : ''}`,
  );
}
