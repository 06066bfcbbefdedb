/**
 * What the resident modes do with a check's failover outcome: the log lines,
 * and the hooks and HAProxy pushes run in this process, one job after the
 * other (a cause before the verdict it explains, an older change before a
 * newer one), never awaited by an answer.
 */
import type { AdminState } from '../io/haproxy-runtime';
import { runHookJob, type HookJob, type JobCallbacks } from '../io/hook-job';
import type { CheckSettings } from '../config/settings';
import { hookJob, logFailover } from '../probe/act';
import type { ProbeResult } from '../probe/probe';

export interface Actions {
  /** Logs the result's transitions and queues its job; returns at once. */
  onResult(result: ProbeResult, settings: CheckSettings): void;
  /** Queues a job made elsewhere (the HAProxy reconciliation); resolves when that job has ended. */
  enqueue(job: HookJob): Promise<void>;
  /** Resolves when every queued job has ended (each is bounded by its own budget). */
  idle(): Promise<void>;
}

export function residentActions(tool: string, maintenance: AdminState | undefined, callbacks: JobCallbacks = {}): Actions {
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (job: HookJob): Promise<void> => {
    queue = queue.then(() => runHookJob(job, callbacks));
    return queue;
  };
  return {
    onResult(result, settings) {
      logFailover(tool, settings, result);
      const job = hookJob(settings, result, tool, maintenance);
      if (job !== undefined) void enqueue(job);
    },
    enqueue,
    idle: () => queue,
  };
}
