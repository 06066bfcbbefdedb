/**
 * What `serve` feeds its /metrics with (docs/metrics.md): every finished
 * check, every probe answered, every hook run. The families themselves are
 * src/answers/metrics.ts.
 *
 * prom-client is loaded here, when serve starts, through a require() inside
 * a function: the esbuild bundle of mysql-failover-check (which also runs
 * the single-shot `status`) then evaluates it only on this path, and the
 * other executables' bundles do not contain it at all.
 */
import type { EvaluationSnapshot, FailoverMetrics, ProbeKind } from '../answers/metrics';
import type { HookRun } from '../io/hook-runner';
import type { ProbeResult } from '../probe/probe';
import type { Checked } from './engine';

type State = EvaluationSnapshot['state'];

/** The state the series show: the failover state's own, or, without one, what the answer amounts to. */
export function stateOf(result: ProbeResult): State {
  const held = result.failover?.state?.state;
  if (held !== undefined) return held;
  const d = result.decision;
  if (d.reason === 'maintenance') return 'maintenance';
  return d.verdict === 'UP' ? 'up' : 'down';
}

function peerOf(result: ProbeResult): EvaluationSnapshot['peer'] {
  const peer = result.facts?.peer;
  if (peer === undefined || !peer.configured) return 'none';
  if (peer.ok) return 'reachable';
  return peer.reachable ? 'refused' : 'unreachable';
}

/**
 * One check as the metrics show it. A check cut off by its deadline knows
 * only its answer: no channel and no peer series then, rather than numbers
 * nobody measured.
 */
export function evaluationSnapshot(c: Checked): EvaluationSnapshot {
  const r = c.result;
  const local = r.facts?.local;
  const ok = local !== undefined && local.ok ? local : undefined;
  return {
    at: c.at,
    durationMs: r.elapsedMs,
    answered: { verdict: r.decision.verdict, reason: r.decision.reason },
    raw: { verdict: r.raw.verdict, reason: r.raw.reason },
    state: stateOf(r),
    heartbeatAgeSeconds: ok !== undefined && ok.heartbeat.state === 'ok' ? ok.heartbeat.age : null,
    peer: peerOf(r),
    channels: (ok?.channels ?? []).map((ch) => ({
      name: ch.name,
      lagSeconds: ch.lag,
      ioRunning: ch.ioRunning === 'Yes',
      sqlRunning: ch.sqlRunning === 'Yes',
      lastIoErrno: ch.lastIoErrno,
      lastSqlErrno: ch.lastSqlErrno,
    })),
  };
}

/** A hook run's status label: its exit code, or why it has none. */
export function hookStatus(run: HookRun): string {
  if (run.error !== undefined) return 'spawn-error';
  if (run.timedOut) return 'timeout';
  if (run.exitCode !== null) return String(run.exitCode);
  return 'signal';
}

/** The state changes one check made: the failover state's transitions, or without one the change of the derived state. */
export function stateChanges(result: ProbeResult, previous: State | undefined): Array<{ from: string; to: string }> {
  const transitions = result.failover?.transitions;
  if (result.failover?.state !== undefined && transitions !== undefined) {
    return transitions.filter((t) => t.from !== 'none' && t.from !== t.to).map((t) => ({ from: t.from, to: t.to }));
  }
  const now = stateOf(result);
  return previous === undefined || previous === now ? [] : [{ from: previous, to: now }];
}

export interface MetricsFeed {
  observe(c: Checked): void;
  countProbe(kind: ProbeKind): void;
  countHookRun(run: HookRun): void;
  render(now: number): Promise<{ contentType: string; body: string }>;
}

function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // A label the metrics refuse is a bug to see in the tests, never a reason to lose an answer.
  }
}

export function startMetrics(version: string): MetricsFeed {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createMetrics } = require('../answers/metrics') as typeof import('../answers/metrics');
  const metrics: FailoverMetrics = createMetrics({ version });
  let previous: State | undefined;
  return {
    observe(c) {
      for (const t of stateChanges(c.result, previous)) quietly(() => metrics.countTransition(t.from, t.to));
      previous = stateOf(c.result);
      quietly(() => metrics.observeEvaluation(evaluationSnapshot(c)));
    },
    countProbe: (kind) => quietly(() => metrics.countProbe(kind)),
    countHookRun: (run) => quietly(() => metrics.countHookRun(hookStatus(run))),
    render: (now) => metrics.render(now),
  };
}
