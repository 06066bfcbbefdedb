/**
 * The HAProxy reconciliation of a resident process (src/resident/haproxy-sync.ts),
 * with the jobs it queues caught by the test: every configured server at
 * start, set to this node's answer; afterwards only the servers whose push
 * failed, to the latest answer, one retry at a time, and only while the
 * settings still name them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Decision, Reason } from '../../../src/core/decide';
import { parseArgs } from '../../../src/config/argv';
import { resolveOptions } from '../../../src/config/option-merge';
import { COMMON_OPTIONS } from '../../../src/config/option-specs';
import { checkSettings, type CheckSettings } from '../../../src/config/settings';
import type { HookJob } from '../../../src/io/hook-job';
import type { PushOutcome } from '../../../src/io/haproxy-runtime';
import type { ProbeResult } from '../../../src/probe/probe';
import { haproxySync, targetKey } from '../../../src/resident/haproxy-sync';

function settings(...args: string[]): CheckSettings {
  return checkSettings(
    resolveOptions(
      parseArgs(['--no-defaults', '--host=127.0.0.1', '--state-file=/tmp/x.ini', '--log-file=/tmp/x.log', ...args], COMMON_OPTIONS),
      COMMON_OPTIONS,
    ),
  );
}

const TWO = ['--haproxy-socket=/run/a.sock', '--haproxy-socket=127.0.0.1:9999', '--haproxy-server=mysql/db1'];

function answer(verdict: 'UP' | 'DOWN', reason: Reason): ProbeResult {
  const d: Decision = { verdict, reason, detail: reason, stamp: false, steps: [], warnings: [] };
  return { decision: d, raw: d, facts: undefined, heartbeat: undefined, stamped: false, elapsedMs: 1, timedOut: false };
}

function harness(maintenance?: 'drain' | 'maint'): {
  jobs: HookJob[];
  finish: () => void;
  sync: ReturnType<typeof haproxySync>;
} {
  const jobs: HookJob[] = [];
  const pending: Array<() => void> = [];
  const sync = haproxySync('mfc-serve', maintenance, (job) => {
    jobs.push(job);
    return new Promise<void>((resolve) => pending.push(resolve));
  });
  return { jobs, finish: () => pending.splice(0).forEach((r) => r()), sync };
}

const pushed = (job: HookJob | undefined): string[] => (job?.haproxy ?? []).map((p) => `${targetKey(p)} ${p.state}`);

function outcome(job: HookJob, index: number, error?: string): PushOutcome {
  const push = job.haproxy?.[index];
  assert.ok(push);
  return error === undefined ? { push, changed: true, was: 'ready', durationMs: 1 } : { push, changed: false, error, durationMs: 1 };
}

test('at start, every configured server is set to the answer: UP ready, DOWN maint, maintenance drain or --agent-maintenance', () => {
  const s = settings(...TWO);
  const h = harness();
  h.sync.reconcileAll(s, answer('UP', 'fresh'));
  h.sync.reconcileAll(s, answer('DOWN', 'catching-up'));
  h.sync.reconcileAll(s, answer('DOWN', 'maintenance'));
  assert.deepEqual(pushed(h.jobs[0]), ['/run/a.sock mysql/db1 ready', '127.0.0.1:9999 mysql/db1 ready']);
  assert.deepEqual(pushed(h.jobs[1]), ['/run/a.sock mysql/db1 maint', '127.0.0.1:9999 mysql/db1 maint']);
  assert.deepEqual(pushed(h.jobs[2]), ['/run/a.sock mysql/db1 drain', '127.0.0.1:9999 mysql/db1 drain']);
  const m = harness('maint');
  m.sync.reconcileAll(s, answer('DOWN', 'maintenance'));
  assert.deepEqual(pushed(m.jobs[0]), ['/run/a.sock mysql/db1 maint', '127.0.0.1:9999 mysql/db1 maint']);
  // A job of pushes only: no hook runs, logged where the settings say.
  assert.deepEqual([h.jobs[0]?.commands, h.jobs[0]?.events, h.jobs[0]?.logFile], [[], [], '/tmp/x.log']);
});

test('no server configured: nothing queued', () => {
  const h = harness();
  h.sync.reconcileAll(settings(), answer('UP', 'fresh'));
  h.sync.retryFailed(settings(), answer('UP', 'fresh'));
  assert.equal(h.jobs.length, 0);
});

test('only a failed push is retried, to the latest answer, one retry at a time; a success ends the retries', async () => {
  const s = settings(...TWO);
  const h = harness();
  h.sync.reconcileAll(s, answer('UP', 'fresh'));
  const start = h.jobs[0] as HookJob;
  h.sync.onPush(outcome(start, 0));
  h.sync.onPush(outcome(start, 1, 'HAPROXY_UNREACHABLE'));
  h.finish();
  assert.deepEqual(h.sync.failing(), ['127.0.0.1:9999 mysql/db1']);

  h.sync.retryFailed(s, answer('DOWN', 'catching-up'));
  h.sync.retryFailed(s, answer('DOWN', 'catching-up'));
  assert.equal(h.jobs.length, 2, 'no second retry while one is queued');
  assert.deepEqual(pushed(h.jobs[1]), ['127.0.0.1:9999 mysql/db1 maint']);
  h.sync.onPush(outcome(h.jobs[1] as HookJob, 0, 'HAPROXY_DENIED'));
  h.finish();
  await new Promise((r) => setImmediate(r));

  h.sync.retryFailed(s, answer('UP', 'fresh'));
  assert.deepEqual(pushed(h.jobs[2]), ['127.0.0.1:9999 mysql/db1 ready']);
  h.sync.onPush(outcome(h.jobs[2] as HookJob, 0));
  h.finish();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(h.sync.failing(), []);
  h.sync.retryFailed(s, answer('UP', 'fresh'));
  assert.equal(h.jobs.length, 3, 'nothing left to retry');
});

test('a failed server the settings no longer name (a reload dropped it) is not retried', () => {
  const h = harness();
  h.sync.reconcileAll(settings(...TWO), answer('UP', 'fresh'));
  h.sync.onPush(outcome(h.jobs[0] as HookJob, 1, 'HAPROXY_UNREACHABLE'));
  h.finish();
  h.sync.retryFailed(settings('--haproxy-socket=/run/a.sock', '--haproxy-server=mysql/db1'), answer('UP', 'fresh'));
  assert.equal(h.jobs.length, 1);
  assert.deepEqual(h.sync.failing(), []);
});
