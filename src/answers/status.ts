/**
 * `mysql-failover-check status` for people and scripts, pure: the facts and
 * the decision path in plain words, or the same as JSON.
 */
import { describeChannel, describeHeartbeat, selectChannels } from '../core/decide';
import { describeState } from '../core/failover-state';
import { describeEndpoint } from '../io/mysql';

export { describeEndpoint };
import type { CheckSettings } from '../config/settings';
import type { ProbeResult } from '../probe/probe';

export interface StatusInput extends ProbeResult {
  /** Whether the run was asked to stamp (--stamp). */
  stampRequested: boolean;
  /** Why --log-file cannot be written by this user, when it cannot. */
  logFileProblem?: string | undefined;
}

function stampLine(s: StatusInput): string {
  if (!s.stampRequested) {
    return s.decision.stamp
      ? 'heartbeat not stamped: the stamp was tried and rolled back (--stamp writes it, as the load balancer does)'
      : 'heartbeat not stamped (status only reads; --stamp acts like the load balancer)';
  }
  if (s.stamped) return 'heartbeat stamped, as a load-balancer probe would';
  return s.decision.stamp
    ? 'heartbeat not stamped: the stamp failed'
    : `heartbeat not stamped: a ${s.decision.verdict} verdict for reason ${s.decision.reason} never stamps`;
}

/**
 * What an operator can do about a DOWN reason, where the fix is known. The
 * account is named as this node logs in: over the socket the server sees
 * 'localhost'; over TCP, the address this host connects from.
 */
export function fixHint(reason: string, settings: CheckSettings): string | undefined {
  const user = settings.local.user ?? 'USER';
  const account = settings.local.socket !== undefined ? `${user}@localhost` : `${user}@ADDRESS_OF_THIS_HOST`;
  const setup = `run \`mysql-failover-check setup --monitor-user ${account}\` with an administrator's option file and apply the GRANTs it prints`;
  switch (reason) {
    case 'local-auth-failed':
      return (
        'the server refused the login: check user and password in the option files; the account must exist ' +
        `for the host the server sees (${account}), and ${setup}`
      );
    case 'local-privilege-missing':
      return setup;
    case 'heartbeat-missing':
      return `the heartbeat table does not exist: ${setup} (it creates the table), or point --table at the existing one`;
    case 'heartbeat-invalid':
      return 'the heartbeat table needs a lastcheck column (and a node column for the keyed schema): `mysql-failover-check setup` prints the shape';
    case 'local-refused':
      return "the server refused the session (see its error number): for 1040/1203 raise max_connections or the account's connection limit";
    case 'heartbeat-write-failed':
      return `the stamp needs INSERT and UPDATE on the heartbeat table and a writable node (read_only OFF, or an account allowed to write anyway): ${setup}`;
    default:
      return undefined;
  }
}

function peerText(s: StatusInput, settings: CheckSettings): string {
  const facts = s.facts;
  if (settings.peerAuto !== undefined) {
    if (facts === undefined || !facts.peer.configured) {
      const why = facts !== undefined && !facts.peer.configured && facts.peer.unresolved !== undefined ? facts.peer.unresolved.message : '';
      return `auto: none${why ? `: ${why}` : ''}`;
    }
  }
  const where = settings.peer !== undefined ? describeEndpoint(settings.peer) : 'auto (the replication source)';
  if (facts === undefined || !facts.peer.configured) return where;
  if (facts.peer.ok) return `${where}: reachable`;
  if (facts.peer.reachable) return `${where}: refused: ${facts.peer.error.message} (alive, so the catch-up check applies)`;
  return `${where}: unreachable: ${facts.peer.error.message}`;
}

export function formatStatusText(s: StatusInput, settings: CheckSettings): string {
  const lines: string[] = [];
  const row = (label: string, text: string): void => {
    lines.push(`${label.padEnd(13)} ${text}`);
  };
  const table = `${settings.table.database}.${settings.table.table}`;
  const facts = s.facts;
  row('local server', describeEndpoint(settings.local));
  if (s.timedOut) {
    row('', `no answer within --timeout (${settings.timeoutMs / 1000} s)`);
  } else if (facts?.maintenance && s.wouldBe === undefined) {
    row('maintenance', `${settings.maintenanceFile ?? ''} exists: nothing else is checked`);
  } else if (facts !== undefined) {
    if (facts.maintenance && s.wouldBe !== undefined) {
      const w = s.wouldBe;
      row('maintenance', `${settings.maintenanceFile ?? ''} exists: the load balancer is told DOWN (maintenance)`);
      row('', `${w.verdict === 'UP' ? 'ready to undrain' : 'not ready to undrain'}: would be ${w.verdict} (${w.reason}): ${w.detail}`);
    }
    if (!facts.local.ok) row('', `not checked: ${facts.local.error.message}`);
    else {
      const hb = s.heartbeat;
      if (hb) row('', `${hb.version}, server_id ${hb.serverId}`);
      const which = hb ? (hb.keyed ? `keyed, row of node '${hb.node}'` : 'one-row table') : '';
      row(
        'heartbeat',
        `${table}${which ? ` (${which})` : ''}: ${describeHeartbeat(facts.local.heartbeat)} (fresh up to ${settings.thresholds.fresh} s)`,
      );
    }
    if (settings.peer === undefined && settings.peerAuto === undefined) row('peer', 'none configured');
    else row('peer', peerText(s, settings));
    if (facts.local.ok) {
      const channels = selectChannels(facts.local.channels, settings.thresholds.channel);
      if (facts.local.replicationError !== undefined) row('replication', `cannot be read: ${facts.local.replicationError.message}`);
      else if (facts.local.channels.length === 0) row('replication', 'none configured');
      else if (channels.length === 0) row('replication', `no channel '${settings.thresholds.channel}'`);
      for (const c of channels) {
        row('replication', `${describeChannel(c)}${c.sqlDelay > 0 ? `, delay ${c.sqlDelay} s` : ''}`);
        if (c.lastIoError) row('', `last IO error ${c.lastIoErrno}: ${c.lastIoError}`);
        if (c.lastSqlError) row('', `last SQL error ${c.lastSqlErrno}: ${c.lastSqlError}`);
      }
    }
  }
  const f = settings.failover;
  const state = s.failover?.state;
  if (f !== undefined) {
    if (state === undefined) row('failover', `state file ${f.stateFile}: not usable`);
    else {
      const d = describeState(state, f.policy, Date.now());
      row('failover', `${d.state} since ${new Date(d.since).toISOString()}${d.evidence ? `: ${d.evidence}` : ''}`);
      row('', `ends: ${d.ends}`);
      if (s.raw.verdict !== s.decision.verdict || s.raw.reason !== s.decision.reason) {
        row('', `the decision table alone says ${s.raw.verdict} (${s.raw.reason})`);
      }
      if (state.recovered !== undefined) row('', `last recover by ${state.recovered.by} at ${new Date(state.recovered.at).toISOString()}`);
      if (state.hook !== undefined) {
        const h = state.hook;
        row('last hook', `${h.command} ${h.event}: exit ${h.exit} at ${new Date(h.at).toISOString()} (${h.durationMs} ms)`);
      }
    }
    for (const note of s.failover?.notes ?? []) row('state file', note);
  }
  lines.push('decision path');
  s.decision.steps.forEach((step) => lines.push(`  ${step}`));
  row('verdict', `${s.decision.verdict} (${s.decision.reason}): ${s.decision.detail}`);
  const hint = s.decision.verdict === 'DOWN' ? fixHint(s.decision.reason, settings) : undefined;
  if (hint !== undefined) row('fix', hint);
  for (const w of s.decision.warnings) row('warning', w);
  if (s.logFileProblem !== undefined) {
    row('warning', `--log-file ${settings.logFile ?? ''}: ${s.logFileProblem}: the load-balancer probes log to the system log instead`);
  }
  lines.push(stampLine(s));
  return lines.join('\n').replace(/[ ]+$/gm, '') + '\n';
}

/** The failover state for scripts: the state, since when, the evidence, what ends it, the latch, the last hook and recover. */
function stateJson(s: StatusInput, f: NonNullable<CheckSettings['failover']>): Record<string, unknown> | null {
  const state = s.failover?.state;
  if (state === undefined) return null;
  const d = describeState(state, f.policy, Date.now());
  const iso = (t: number): string => new Date(t).toISOString();
  return {
    name: d.state,
    since: iso(d.since),
    evidence: d.evidence,
    ends: d.ends,
    latch: state.latch === undefined ? null : { at: iso(state.latch.at), reason: state.latch.reason, evidence: state.latch.evidence },
    recovered: state.recovered === undefined ? null : { at: iso(state.recovered.at), by: state.recovered.by },
    lastHook: state.hook === undefined ? null : { ...state.hook, at: iso(state.hook.at) },
    stateFile: f.stateFile,
    notes: s.failover?.notes ?? [],
  };
}

/** The same for scripts. Channel objects are the normalised rows (src/core/replica-status.ts). */
export function statusJson(s: StatusInput, settings: CheckSettings): Record<string, unknown> {
  const facts = s.facts;
  const local: Record<string, unknown> = { endpoint: describeEndpoint(settings.local) };
  if (facts !== undefined && !facts.maintenance) {
    if (facts.local.ok) {
      Object.assign(local, {
        ok: true,
        version: s.heartbeat?.version,
        serverId: s.heartbeat?.serverId,
        node: s.heartbeat?.node,
        keyed: s.heartbeat?.keyed,
        heartbeat: facts.local.heartbeat,
        channels: facts.local.channels,
        ...(facts.local.replicationError === undefined ? {} : { replicationError: facts.local.replicationError }),
      });
    } else {
      Object.assign(local, { ok: false, error: facts.local.error });
    }
  }
  let peer: Record<string, unknown> = { configured: false };
  if (settings.peer !== undefined || settings.peerAuto !== undefined) {
    peer = { configured: true, endpoint: settings.peer !== undefined ? describeEndpoint(settings.peer) : 'auto' };
    if (facts !== undefined && facts.peer.configured) {
      Object.assign(
        peer,
        facts.peer.ok ? { ok: true, reachable: true } : { ok: false, reachable: facts.peer.reachable, error: facts.peer.error },
      );
    } else if (facts !== undefined && !facts.peer.configured && facts.peer.unresolved !== undefined) {
      Object.assign(peer, { ok: false, unresolved: facts.peer.unresolved });
    }
  }
  const hint = s.decision.verdict === 'DOWN' ? fixHint(s.decision.reason, settings) : undefined;
  return {
    verdict: s.decision.verdict,
    reason: s.decision.reason,
    detail: s.decision.detail,
    steps: s.decision.steps,
    warnings: s.decision.warnings,
    raw: { verdict: s.raw.verdict, reason: s.raw.reason, detail: s.raw.detail },
    ...(settings.logFile === undefined ? {} : { logFile: { path: settings.logFile, problem: s.logFileProblem ?? null } }),
    ...(s.wouldBe === undefined ? {} : { wouldBe: { verdict: s.wouldBe.verdict, reason: s.wouldBe.reason, detail: s.wouldBe.detail } }),
    ...(settings.failover === undefined ? {} : { state: stateJson(s, settings.failover) }),
    ...(hint === undefined ? {} : { fix: hint }),
    stampRequested: s.stampRequested,
    stamped: s.stamped,
    timedOut: s.timedOut,
    elapsedMs: s.elapsedMs,
    maintenance: facts?.maintenance ?? false,
    table: `${settings.table.database}.${settings.table.table}`,
    thresholds: {
      fresh: settings.thresholds.fresh,
      maxLag: settings.thresholds.maxLag,
      channel: settings.thresholds.channel ?? null,
    },
    local,
    peer,
  };
}
