/**
 * What serve's /metrics is fed (src/resident/metrics-feed.ts): a check as a
 * snapshot (channels with a NULL lag as null, the peer's three ways, nothing
 * made up for a check cut off by its deadline), the state without a failover
 * state, the transitions counted, the hook statuses; and the families that
 * come out of a rendered feed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Decision, Facts, Reason } from '../../../src/core/decide';
import { freshState, type StateName, type Transition } from '../../../src/core/failover-state';
import type { ReplicaChannel } from '../../../src/core/replica-status';
import type { ProbeResult } from '../../../src/probe/probe';
import type { Checked } from '../../../src/resident/engine';
import { evaluationSnapshot, hookStatus, startMetrics, stateChanges, stateOf } from '../../../src/resident/metrics-feed';
import { parseExposition, sampleOf, samplesOf } from '../../support/exposition';
import { SAMPLE_EVENT } from '../../support/hooks';

const d = (verdict: 'UP' | 'DOWN', reason: Reason): Decision => ({
  verdict,
  reason,
  detail: reason,
  stamp: false,
  steps: [],
  warnings: [],
});

const CHANNEL: ReplicaChannel = {
  name: '',
  ioRunning: 'No',
  sqlRunning: 'Yes',
  lag: null,
  sourceHost: '127.0.0.1',
  sourcePort: 3306,
  sourceServerId: 2,
  lastIoErrno: 2003,
  lastIoError: "Can't connect",
  lastSqlErrno: 0,
  lastSqlError: '',
  sqlDelay: 0,
};

function result(decision: Decision, facts?: Facts, over: Partial<ProbeResult> = {}): ProbeResult {
  return { decision, raw: decision, facts, heartbeat: undefined, stamped: false, elapsedMs: 42, timedOut: false, ...over };
}

function checked(r: ProbeResult, at = 1_700_000_000_000): Checked {
  return { result: r, kind: 'background', settings: undefined as never, at };
}

const facts = (peer: Facts['peer']): Facts => ({
  maintenance: false,
  local: { ok: true, heartbeat: { state: 'ok', age: 4 }, channels: [CHANNEL] },
  peer,
});

test('a check as a snapshot: verdicts, heartbeat age, the channel with its NULL lag, the peer', () => {
  const s = evaluationSnapshot(checked(result(d('UP', 'fresh'), facts({ configured: true, ok: true }))));
  assert.deepEqual(s, {
    at: 1_700_000_000_000,
    durationMs: 42,
    answered: { verdict: 'UP', reason: 'fresh' },
    raw: { verdict: 'UP', reason: 'fresh' },
    state: 'up',
    heartbeatAgeSeconds: 4,
    peer: 'reachable',
    channels: [{ name: '', lagSeconds: null, ioRunning: false, sqlRunning: true, lastIoErrno: 2003, lastSqlErrno: 0 }],
  });
});

test('the peer: none, reachable, refused (answered with an error) and unreachable', () => {
  const peer = (p: Facts['peer']): string => evaluationSnapshot(checked(result(d('UP', 'fresh'), facts(p)))).peer;
  const error = { code: 'AUTH_FAILED', message: 'x', errno: 1045 };
  assert.equal(peer({ configured: false }), 'none');
  assert.equal(peer({ configured: true, ok: true }), 'reachable');
  assert.equal(peer({ configured: true, ok: false, reachable: true, error }), 'refused');
  assert.equal(peer({ configured: true, ok: false, reachable: false, error: { code: 'CONNECT_FAILED', message: 'x' } }), 'unreachable');
});

test('a check cut off by its deadline: its answer, and no channel, peer or heartbeat figure nobody measured', () => {
  const s = evaluationSnapshot(checked(result(d('DOWN', 'error'), undefined, { timedOut: true })));
  assert.equal(s.answered.reason, 'error');
  assert.equal(s.heartbeatAgeSeconds, null);
  assert.equal(s.peer, 'none');
  assert.deepEqual(s.channels, []);
  assert.equal(s.state, 'down');
});

test('the state: the failover state when there is one, else what the answer amounts to', () => {
  assert.equal(stateOf(result(d('UP', 'fresh'))), 'up');
  assert.equal(stateOf(result(d('DOWN', 'catching-up'))), 'down');
  assert.equal(stateOf(result(d('DOWN', 'maintenance'))), 'maintenance');
  const failing = { ...freshState(0), state: 'failing' as const };
  const held = result(d('UP', 'holding-up'), undefined, {
    failover: { decision: d('UP', 'holding-up'), state: failing, transitions: [], events: [], stamped: false, notes: [] },
  });
  assert.equal(stateOf(held), 'failing');
});

test('transitions: the failover state’s own (not the first one from none), else a change of the derived state', () => {
  const t = (from: StateName | 'none', to: StateName): Transition => ({ from, to, at: 0, reason: 'x', detail: 'x', actor: 'probe' });
  const withState = (transitions: Transition[]): ProbeResult =>
    result(d('DOWN', 'catching-up'), undefined, {
      failover: { decision: d('DOWN', 'catching-up'), state: freshState(0), transitions, events: [], stamped: false, notes: [] },
    });
  assert.deepEqual(stateChanges(withState([t('none', 'up')]), undefined), []);
  assert.deepEqual(stateChanges(withState([t('up', 'failing')]), 'up'), [{ from: 'up', to: 'failing' }]);
  assert.deepEqual(stateChanges(result(d('DOWN', 'catching-up')), 'up'), [{ from: 'up', to: 'down' }]);
  assert.deepEqual(stateChanges(result(d('DOWN', 'catching-up')), 'down'), []);
  assert.deepEqual(stateChanges(result(d('DOWN', 'catching-up')), undefined), []);
});

test('hook statuses: the exit code, or timeout, signal, spawn-error', () => {
  const run = { command: '/x', event: 'down', exitCode: 0, signal: null, timedOut: false, killed: false, durationMs: 1, output: '' };
  assert.equal(hookStatus(run), '0');
  assert.equal(hookStatus({ ...run, exitCode: 3 }), '3');
  assert.equal(hookStatus({ ...run, exitCode: null, signal: 'SIGTERM', timedOut: true }), 'timeout');
  assert.equal(hookStatus({ ...run, exitCode: null, signal: 'SIGKILL' }), 'signal');
  assert.equal(hookStatus({ ...run, exitCode: null, error: 'ENOENT' }), 'spawn-error');
});

test('a fed registry renders the checks, probes, transitions, hook runs, build info and the last check', async () => {
  const m = startMetrics('9.9.9-test');
  m.observe(checked(result(d('UP', 'fresh'), facts({ configured: true, ok: true })), Date.now()));
  m.observe(checked(result(d('DOWN', 'replication-stopped'), facts({ configured: true, ok: true })), Date.now()));
  m.countProbe('http');
  m.countProbe('http');
  m.countProbe('agent');
  m.countHookRun({ ...SAMPLE_RUN });
  const f = parseExposition((await m.render(Date.now())).body);
  assert.equal(sampleOf(f, 'mysql_failover_checks_total').value, 2);
  assert.equal(sampleOf(f, 'mysql_failover_probes_total', { kind: 'http' }).value, 2);
  assert.equal(sampleOf(f, 'mysql_failover_probes_total', { kind: 'agent' }).value, 1);
  assert.equal(sampleOf(f, 'mysql_failover_transitions_total', { from: 'up', to: 'down' }).value, 1);
  assert.equal(sampleOf(f, 'mysql_failover_hook_runs_total', { status: '0' }).value, 1);
  assert.equal(sampleOf(f, 'mysql_failover_build_info').labels['version'], '9.9.9-test');
  assert.equal(sampleOf(f, 'mysql_failover_answer_up').value, 0);
  assert.equal(sampleOf(f, 'mysql_failover_replication_lag_seconds', { channel: '' }).text, 'NaN');
  assert.deepEqual(
    samplesOf(f, 'mysql_failover_state')
      .filter((s) => s.value === 1)
      .map((s) => s.labels['state']),
    ['down'],
  );
});

const SAMPLE_RUN = {
  command: '/x',
  event: SAMPLE_EVENT.event,
  exitCode: 0,
  signal: null,
  timedOut: false,
  killed: false,
  durationMs: 1,
  output: '',
};
