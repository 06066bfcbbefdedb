/**
 * Keeping HAProxy's view of this node in line with its answer, in a
 * resident process (docs/acting-on-transitions.md, "Pushing the state into
 * HAProxy"). The pushes of a change ride with its hooks (src/probe/act.ts
 * hookJob); this adds what only a process that stays can do:
 *
 * - at start, each configured server is read and set to this node's answer
 *   (a reconciliation: an unchanged state sends nothing);
 * - a push that failed (socket missing, refused, not admin, no answer) is
 *   tried again, to the answer of the latest check, at the next watcher
 *   tick, or without --interval at the next check; never more than one
 *   retry at a time, so a dead HAProxy cannot pile pushes up.
 *
 * Only failed targets are retried: a state an operator set by hand in
 * HAProxy (maint for a repair) is not undone every interval.
 */
import type { AdminState, HaproxyPush, PushOutcome } from '../io/haproxy-runtime';
import type { HookJob } from '../io/hook-job';
import type { CheckSettings } from '../config/settings';
import type { HaproxyTarget } from '../config/failover-settings';
import { wantedAdminState } from '../probe/act';
import type { ProbeResult } from '../probe/probe';

/** One target, as text: its runtime address and its server. */
export function targetKey(t: Pick<HaproxyPush, 'address' | 'ref'>): string {
  const where = 'socket' in t.address ? t.address.socket : `${t.address.host}:${t.address.port}`;
  return `${where} ${t.ref.backend}/${t.ref.server}`;
}

export interface HaproxySync {
  /** Queues a reconciliation of every configured server to this answer. */
  reconcileAll(settings: CheckSettings, result: ProbeResult): void;
  /** Queues a retry of the servers whose last push failed, to this answer (nothing when none did, or one is queued). */
  retryFailed(settings: CheckSettings, result: ProbeResult): void;
  /** Every push's outcome (from the job callbacks). */
  onPush(outcome: PushOutcome): void;
  /** The servers whose last push failed. */
  failing(): string[];
}

export function haproxySync(tool: string, maintenance: AdminState | undefined, enqueue: (job: HookJob) => Promise<void>): HaproxySync {
  const failed = new Map<string, HaproxyTarget>();
  let retrying = false;

  const jobFor = (s: CheckSettings, result: ProbeResult, targets: readonly HaproxyTarget[]): HookJob | undefined => {
    const f = s.failover;
    if (f === undefined || targets.length === 0) return undefined;
    const state = wantedAdminState(result, maintenance);
    const job: HookJob = {
      commands: [],
      events: [],
      timeoutMs: f.hookTimeoutMs,
      tool,
      haproxy: targets.map((t) => ({ address: t.address, ref: t.ref, state })),
    };
    if (s.logFile !== undefined) job.logFile = s.logFile;
    return job;
  };

  return {
    reconcileAll(s, result) {
      const job = jobFor(s, result, s.failover?.haproxy ?? []);
      if (job !== undefined) void enqueue(job);
    },

    retryFailed(s, result) {
      if (retrying || failed.size === 0) return;
      // Only the targets the settings still name: a reload may have dropped one.
      const configured = new Map((s.failover?.haproxy ?? []).map((t) => [targetKey(t), t]));
      for (const key of [...failed.keys()]) if (!configured.has(key)) failed.delete(key);
      const job = jobFor(s, result, [...failed.values()]);
      if (job === undefined) return;
      retrying = true;
      void enqueue(job).finally(() => {
        retrying = false;
      });
    },

    onPush(outcome) {
      const key = targetKey(outcome.push);
      if (outcome.error === undefined) failed.delete(key);
      else failed.set(key, { address: outcome.push.address, ref: outcome.push.ref });
    },

    failing: () => [...failed.keys()],
  };
}
