/**
 * What a probe's failover outcome leads to (docs/design.md, "Acting on
 * transitions"): the transition and state-file lines of --log-file, and the
 * job that runs the --on-event hooks and pushes this node's state into
 * HAProxy. Events fire once per change (the state records what was sent),
 * so this runs only when the state machine said something changed.
 */
import type { FailoverEvent } from '../core/events';
import type { FailoverSettings } from '../config/failover-settings';
import type { CheckSettings } from '../config/settings';
import type { AdminState, HaproxyPush } from '../io/haproxy-runtime';
import type { HookJob } from '../io/hook-job';
import type { HookEvent } from '../io/hook-runner';
import { appendLine, quote } from '../io/log-file';
import { describeEndpoint } from '../io/mysql';
import { logTransitions } from '../io/transition-log';
import { redact } from '../core/redact';
import type { ProbeResult } from './probe';
import { isoUtc } from '../core/utc-time';

/** The node as hooks name it: --node, else the server_id its heartbeat row is keyed by, else where it is reached. */
export function nodeName(s: CheckSettings, r: ProbeResult): string {
  return s.node ?? r.heartbeat?.node ?? describeEndpoint(s.local);
}

function peerName(s: CheckSettings): string {
  if (s.peer !== undefined) return describeEndpoint(s.peer);
  return s.peerAuto !== undefined ? 'auto' : '';
}

/** The worst lag of the node's channels, null when unknown or not read. */
function lagOf(r: ProbeResult): number | null {
  const local = r.facts?.local;
  if (local === undefined || !local.ok || local.channels.length === 0) return null;
  if (local.channels.some((c) => c.lag === null)) return null;
  return Math.max(...local.channels.map((c) => c.lag as number));
}

export function hookEvents(s: CheckSettings, r: ProbeResult, events: readonly FailoverEvent[]): HookEvent[] {
  return asHookEvents(s, events, nodeName(s, r), lagOf(r));
}

function asHookEvents(s: CheckSettings, events: readonly FailoverEvent[], node: string, lag: number | null): HookEvent[] {
  return events.map((e) => ({
    event: e.event,
    node,
    peer: peerName(s),
    from: e.from,
    to: e.to,
    reason: e.reason,
    lag,
    time: e.at,
    actor: e.actor,
  }));
}

/** Events that change what the load balancer is told: the ones that move HAProxy too. */
const ANSWER_EVENTS: ReadonlySet<string> = new Set(['up', 'down', 'maintenance-on', 'maintenance-off', 'failed', 'recovered']);

/** UP -> ready; maintenance -> drain (or --agent-maintenance's state); DOWN or failed -> maint. */
export function wantedAdminState(r: Pick<ProbeResult, 'decision'>, maintenance: AdminState = 'drain'): AdminState {
  if (r.decision.verdict === 'UP') return 'ready';
  return r.decision.reason === 'maintenance' ? maintenance : 'maint';
}

export function haproxyPushes(f: FailoverSettings, state: AdminState): HaproxyPush[] {
  return f.haproxy.map((t) => ({ address: t.address, ref: t.ref, state }));
}

/**
 * The job for this probe's events, or undefined when there is nothing to
 * run: no event, or neither hooks nor HAProxies configured.
 */
export function hookJob(s: CheckSettings, r: ProbeResult, tool: string, maintenance?: AdminState): HookJob | undefined {
  const f = s.failover;
  const events = r.failover?.events ?? [];
  if (f === undefined || events.length === 0) return undefined;
  const pushes = events.some((e) => ANSWER_EVENTS.has(e.event)) ? haproxyPushes(f, wantedAdminState(r, maintenance)) : [];
  return jobOf(s, f, () => hookEvents(s, r, events), pushes, tool);
}

/** The job for an operator's events (`recover`): no probe ran, so the node is named by --node or its address. */
export function operatorJob(s: CheckSettings, events: readonly FailoverEvent[], verdict: 'UP' | 'DOWN', tool: string): HookJob | undefined {
  const f = s.failover;
  if (f === undefined || events.length === 0) return undefined;
  const pushes = haproxyPushes(f, verdict === 'UP' ? 'ready' : 'maint');
  return jobOf(s, f, () => asHookEvents(s, events, s.node ?? describeEndpoint(s.local), null), pushes, tool);
}

function jobOf(s: CheckSettings, f: FailoverSettings, events: () => HookEvent[], pushes: HaproxyPush[], tool: string): HookJob | undefined {
  if (f.hooks.length === 0 && pushes.length === 0) return undefined;
  const job: HookJob = {
    commands: f.hooks,
    events: events(),
    timeoutMs: f.hookTimeoutMs,
    tool,
    record: { stateFile: f.stateFile, identity: f.identity },
  };
  if (s.logFile !== undefined) job.logFile = s.logFile;
  if (pushes.length > 0) job.haproxy = pushes;
  return job;
}

/** The --log-file lines of the failover state: its transitions, and what an operator must know about the file. */
export function logFailover(tool: string, s: CheckSettings, r: ProbeResult): void {
  const out = r.failover;
  if (out === undefined || s.logFile === undefined) return;
  logTransitions(s.logFile, tool, out.transitions);
  for (const note of out.notes) {
    appendLine(s.logFile, `${isoUtc(Date.now())} ${tool} pid=${process.pid} state_file=${quote(redact(note, s.secrets))}\n`);
  }
}
