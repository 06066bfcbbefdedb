/**
 * src/answers/metrics.ts: the families and values /metrics shows for an
 * evaluation snapshot, read back with a strict parser of the text format.
 * promtool's opinion of the same output is in test/e2e/promtool.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as promClient from 'prom-client';
import { STATES, createMetrics, type EvaluationSnapshot } from '../../../src/answers/metrics';
import { isCheckError } from '../../../src/core/errors';
import { parseExposition, sampleOf, samplesOf, type Family } from '../../support/exposition';
import { healthySnapshot, ioStoppedSnapshot } from '../../support/snapshots';

const P = 'mysql_failover_';
const NOW = 1_700_000_000_000;

function healthy(over: Partial<EvaluationSnapshot> = {}): EvaluationSnapshot {
  return healthySnapshot({ at: NOW - 2_500, ...over });
}

async function render(m = createMetrics({ version: '9.8.7' }), now = NOW): Promise<Map<string, Family>> {
  return parseExposition((await m.render(now)).body);
}

function value(f: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  return sampleOf(f, P + name, labels).value;
}

const CHANNEL_FAMILIES = ['replication_lag_seconds', 'replication_io_running', 'replication_sql_running', 'replication_last_error_number'];

/** Every family the module may show, with its TYPE. */
const FAMILIES: Record<string, 'gauge' | 'counter'> = {
  answer_up: 'gauge',
  raw_up: 'gauge',
  state: 'gauge',
  reason_info: 'gauge',
  heartbeat_age_seconds: 'gauge',
  replication_lag_seconds: 'gauge',
  replication_io_running: 'gauge',
  replication_sql_running: 'gauge',
  replication_last_error_number: 'gauge',
  peer_reachable: 'gauge',
  peer_login_ok: 'gauge',
  check_duration_seconds: 'gauge',
  last_evaluation_age_seconds: 'gauge',
  last_evaluation_timestamp_seconds: 'gauge',
  checks_total: 'counter',
  probes_total: 'counter',
  transitions_total: 'counter',
  hook_runs_total: 'counter',
  build_info: 'gauge',
};

function assertInternal(fn: () => void): void {
  assert.throws(fn, (e: unknown) => isCheckError(e) && e.code === 'INTERNAL');
}

describe('metrics before the first evaluation', () => {
  test('shows every state at 0, the counters at 0, build info and an infinite evaluation age; nothing unmeasured', async () => {
    const f = await render();
    for (const st of STATES) assert.equal(value(f, 'state', { state: st }), 0, st);
    assert.equal(samplesOf(f, `${P}state`).length, STATES.length);
    const age = sampleOf(f, `${P}last_evaluation_age_seconds`);
    assert.equal(age.value, Infinity);
    assert.equal(age.text, '+Inf');
    assert.equal(value(f, 'build_info', { version: '9.8.7', nodejs: process.version }), 1);
    assert.equal(value(f, 'checks_total'), 0);
    for (const kind of ['http', 'agent', 'snmp']) assert.equal(value(f, 'probes_total', { kind }), 0);
    assert.equal(samplesOf(f, `${P}transitions_total`).length, STATES.length * (STATES.length - 1));
    assert.ok(samplesOf(f, `${P}transitions_total`).every((s) => s.value === 0));
    assert.equal(samplesOf(f, `${P}hook_runs_total`).length, 0);
    for (const name of [
      'answer_up',
      'raw_up',
      'reason_info',
      'heartbeat_age_seconds',
      'peer_reachable',
      'check_duration_seconds',
      'last_evaluation_timestamp_seconds',
      ...CHANNEL_FAMILIES,
    ]) {
      assert.equal(f.has(P + name), false, `${name} is shown before anything was measured`);
    }
  });
});

describe('metrics of an evaluation', () => {
  test('every family has HELP and its TYPE, and no family outside the list is shown', async () => {
    const m = createMetrics({ version: '1.0.0' });
    m.observeEvaluation(healthy());
    m.countHookRun('0');
    const f = await render(m);
    assert.deepEqual(
      [...f.keys()].sort(),
      Object.keys(FAMILIES)
        .map((n) => P + n)
        .sort(),
    );
    for (const [name, type] of Object.entries(FAMILIES)) {
      const fam = f.get(P + name) as Family;
      assert.equal(fam.type, type, name);
      assert.ok(fam.help !== undefined && fam.help.length > 10, `${name} has no useful HELP`);
      assert.ok(fam.samples.length > 0, `${name} has no sample`);
    }
  });

  test('a healthy node: verdicts, state, reason, heartbeat, channel, peer, duration and times', async () => {
    const m = createMetrics({ version: '1.0.0' });
    m.observeEvaluation(healthy());
    const f = await render(m);
    assert.equal(value(f, 'answer_up'), 1);
    assert.equal(value(f, 'raw_up'), 1);
    for (const st of STATES) assert.equal(value(f, 'state', { state: st }), st === 'up' ? 1 : 0, st);
    assert.deepEqual(sampleOf(f, `${P}reason_info`).labels, { reason: 'fresh', raw_reason: 'fresh' });
    assert.equal(value(f, 'reason_info'), 1);
    assert.equal(value(f, 'heartbeat_age_seconds'), 3);
    assert.equal(value(f, 'replication_lag_seconds', { channel: '' }), 0);
    assert.equal(value(f, 'replication_io_running', { channel: '' }), 1);
    assert.equal(value(f, 'replication_sql_running', { channel: '' }), 1);
    assert.equal(value(f, 'replication_last_error_number', { channel: '', thread: 'io' }), 0);
    assert.equal(value(f, 'replication_last_error_number', { channel: '', thread: 'sql' }), 0);
    assert.equal(value(f, 'peer_reachable'), 1);
    assert.equal(value(f, 'peer_login_ok'), 1);
    assert.equal(value(f, 'check_duration_seconds'), 0.012);
    assert.equal(value(f, 'last_evaluation_timestamp_seconds'), (NOW - 2_500) / 1000);
    assert.equal(value(f, 'last_evaluation_age_seconds'), 2.5);
    assert.equal(value(f, 'checks_total'), 1);
  });

  test('the age of the last evaluation is computed at render time, and never negative', async () => {
    const m = createMetrics({ version: '1.0.0' });
    m.observeEvaluation(healthy({ at: NOW }));
    assert.equal(value(await render(m, NOW + 61_000), 'last_evaluation_age_seconds'), 61);
    assert.equal(value(await render(m, NOW - 5_000), 'last_evaluation_age_seconds'), 0);
  });

  test('an IO thread stopped: lag NULL is a NaN sample (spelled NaN), not an absent series', async () => {
    const m = createMetrics({ version: '1.0.0' });
    m.observeEvaluation(ioStoppedSnapshot({ at: NOW - 2_500 }));
    const { body } = await m.render(NOW);
    const f = parseExposition(body);
    const lag = sampleOf(f, `${P}replication_lag_seconds`, { channel: '' });
    assert.ok(Number.isNaN(lag.value));
    assert.equal(lag.text, 'NaN');
    assert.match(body, /^mysql_failover_replication_lag_seconds\{channel=""\} NaN$/m);
    assert.equal(value(f, 'replication_io_running', { channel: '' }), 0);
    assert.equal(value(f, 'replication_sql_running', { channel: '' }), 1);
    assert.equal(value(f, 'answer_up'), 0);
    assert.equal(value(f, 'state', { state: 'down' }), 1);
  });

  test('an unknown heartbeat age is NaN', async () => {
    const m = createMetrics({ version: '1.0.0' });
    m.observeEvaluation(healthy({ heartbeatAgeSeconds: null }));
    const age = sampleOf(await render(m), `${P}heartbeat_age_seconds`);
    assert.ok(Number.isNaN(age.value));
    assert.equal(age.text, 'NaN');
  });

  test('the answered verdict and the raw verdict are shown apart (hysteresis holds the node UP)', async () => {
    const m = createMetrics({ version: '1.0.0' });
    m.observeEvaluation(
      healthy({ answered: { verdict: 'UP', reason: 'fresh' }, raw: { verdict: 'DOWN', reason: 'catching-up' }, state: 'failing' }),
    );
    const f = await render(m);
    assert.equal(value(f, 'answer_up'), 1);
    assert.equal(value(f, 'raw_up'), 0);
    assert.deepEqual(sampleOf(f, `${P}reason_info`).labels, { reason: 'fresh', raw_reason: 'catching-up' });
    assert.equal(value(f, 'state', { state: 'failing' }), 1);
  });

  test('reason_info keeps one series: the old reason goes when the reason changes', async () => {
    const m = createMetrics({ version: '1.0.0' });
    m.observeEvaluation(healthy());
    m.observeEvaluation(healthy({ answered: { verdict: 'UP', reason: 'caught-up' }, raw: { verdict: 'UP', reason: 'caught-up' } }));
    const f = await render(m);
    assert.equal(samplesOf(f, `${P}reason_info`).length, 1);
    assert.deepEqual(sampleOf(f, `${P}reason_info`).labels, { reason: 'caught-up', raw_reason: 'caught-up' });
    assert.equal(value(f, 'checks_total'), 2);
  });

  for (const [peer, reachable, login] of [
    ['reachable', 1, 1],
    ['refused', 1, 0],
    ['unreachable', 0, 0],
  ] as const) {
    test(`a peer that is ${peer}: peer_reachable ${reachable}, peer_login_ok ${login}`, async () => {
      const m = createMetrics({ version: '1.0.0' });
      m.observeEvaluation(healthy({ peer }));
      const f = await render(m);
      assert.equal(value(f, 'peer_reachable'), reachable);
      assert.equal(value(f, 'peer_login_ok'), login);
    });
  }

  test('no peer configured: no peer series at all', async () => {
    const m = createMetrics({ version: '1.0.0' });
    m.observeEvaluation(healthy({ peer: 'none' }));
    const f = await render(m);
    assert.equal(f.has(`${P}peer_reachable`), false);
    assert.equal(f.has(`${P}peer_login_ok`), false);
  });

  test('the error numbers of a channel are shown per thread', async () => {
    const m = createMetrics({ version: '1.0.0' });
    m.observeEvaluation(
      healthy({ channels: [{ name: 'x', lagSeconds: null, ioRunning: false, sqlRunning: false, lastIoErrno: 2003, lastSqlErrno: 1062 }] }),
    );
    const f = await render(m);
    assert.equal(value(f, 'replication_last_error_number', { channel: 'x', thread: 'io' }), 2003);
    assert.equal(value(f, 'replication_last_error_number', { channel: 'x', thread: 'sql' }), 1062);
  });
});

describe('metrics: replication channels', () => {
  test('the series of a channel that disappeared are removed from every channel family', async () => {
    const m = createMetrics({ version: '1.0.0' });
    const ch = (name: string, lag: number) => ({
      name,
      lagSeconds: lag,
      ioRunning: true,
      sqlRunning: true,
      lastIoErrno: 0,
      lastSqlErrno: 0,
    });
    m.observeEvaluation(healthy({ channels: [ch('', 1), ch('eu', 2)] }));
    let f = await render(m);
    for (const fam of CHANNEL_FAMILIES) {
      assert.deepEqual(new Set(samplesOf(f, P + fam).map((s) => s.labels['channel'])), new Set(['', 'eu']), fam);
    }
    m.observeEvaluation(healthy({ channels: [ch('eu', 5)] }));
    f = await render(m);
    for (const fam of CHANNEL_FAMILIES) {
      assert.deepEqual(new Set(samplesOf(f, P + fam).map((s) => s.labels['channel'])), new Set(['eu']), fam);
    }
    assert.equal(value(f, 'replication_lag_seconds', { channel: 'eu' }), 5);
    m.observeEvaluation(healthy({ channels: [] }));
    f = await render(m);
    for (const fam of CHANNEL_FAMILIES) assert.equal(samplesOf(f, P + fam).length, 0, fam);
  });

  test('odd channel names are escaped: each sample stays on one line and reads back as the name', async () => {
    const names = ['', 'default', 'a"b', 'back\\slash', 'new\nline', 'space and } brace', 'ünï €'];
    const m = createMetrics({ version: '1.0.0' });
    m.observeEvaluation(
      healthy({
        channels: names.map((name, i) => ({ name, lagSeconds: i, ioRunning: true, sqlRunning: true, lastIoErrno: 0, lastSqlErrno: 0 })),
      }),
    );
    const { body } = await m.render(NOW);
    const lagLines = body.split('\n').filter((l) => l.startsWith(`${P}replication_lag_seconds{`));
    assert.equal(lagLines.length, names.length);
    assert.ok(body.includes('{channel="a\\"b"}'), body);
    assert.ok(body.includes('{channel="back\\\\slash"}'), body);
    assert.ok(body.includes('{channel="new\\nline"}'), body);
    const f = parseExposition(body);
    names.forEach((name, i) => assert.equal(value(f, 'replication_lag_seconds', { channel: name }), i, JSON.stringify(name)));
  });

  test('a later change to the snapshot object does not change what is shown', async () => {
    const m = createMetrics({ version: '1.0.0' });
    const s = healthy();
    m.observeEvaluation(s);
    s.answered.verdict = 'DOWN';
    (s.channels[0] as { lagSeconds: number | null }).lagSeconds = 99;
    s.channels.push({ name: 'late', lagSeconds: 1, ioRunning: true, sqlRunning: true, lastIoErrno: 0, lastSqlErrno: 0 });
    const f = await render(m);
    assert.equal(value(f, 'answer_up'), 1);
    assert.equal(value(f, 'replication_lag_seconds', { channel: '' }), 0);
    assert.equal(samplesOf(f, `${P}replication_lag_seconds`).length, 1);
  });
});

describe('metrics: counters', () => {
  test('probes, transitions and hook runs count up, and rendering does not count', async () => {
    const m = createMetrics({ version: '1.0.0' });
    m.countProbe('http');
    m.countProbe('http');
    m.countProbe('snmp');
    m.countTransition('up', 'failing');
    m.countTransition('failing', 'down');
    m.countTransition('up', 'failing');
    m.countHookRun('0');
    m.countHookRun('3');
    m.countHookRun('timeout');
    m.countHookRun('signal');
    m.countHookRun('spawn-error');
    m.countHookRun('0');
    await m.render(NOW);
    const f = await render(m);
    assert.equal(value(f, 'probes_total', { kind: 'http' }), 2);
    assert.equal(value(f, 'probes_total', { kind: 'agent' }), 0);
    assert.equal(value(f, 'probes_total', { kind: 'snmp' }), 1);
    assert.equal(value(f, 'transitions_total', { from: 'up', to: 'failing' }), 2);
    assert.equal(value(f, 'transitions_total', { from: 'failing', to: 'down' }), 1);
    assert.equal(value(f, 'transitions_total', { from: 'down', to: 'up' }), 0);
    assert.equal(value(f, 'hook_runs_total', { status: '0' }), 2);
    for (const status of ['3', 'timeout', 'signal', 'spawn-error']) assert.equal(value(f, 'hook_runs_total', { status }), 1, status);
    assert.equal(value(f, 'checks_total'), 0);
  });

  test('names outside the known sets are refused as internal errors, not shown as new series', async () => {
    const m = createMetrics({ version: '1.0.0' });
    assertInternal(() => m.observeEvaluation(healthy({ state: 'sleeping' })));
    assertInternal(() => m.countTransition('up', 'up'));
    assertInternal(() => m.countTransition('up', 'gone'));
    assertInternal(() => m.countTransition('nowhere', 'up'));
    assertInternal(() => m.countHookRun('256'));
    assertInternal(() => m.countHookRun('-1'));
    assertInternal(() => m.countHookRun('007'));
    assertInternal(() => m.countHookRun('killed'));
    assertInternal(() => m.countProbe('ftp' as 'http'));
    const f = await render(m);
    assert.equal(value(f, 'checks_total'), 0);
    assert.equal(samplesOf(f, `${P}transitions_total`).length, STATES.length * (STATES.length - 1));
    assert.equal(samplesOf(f, `${P}hook_runs_total`).length, 0);
    assert.equal(samplesOf(f, `${P}probes_total`).length, 3);
  });
});

describe('metrics: registries', () => {
  test("two instances are independent and prom-client's global registry stays empty", async () => {
    const a = createMetrics({ version: '1.0.0' });
    const b = createMetrics({ version: '2.0.0' });
    a.countProbe('agent');
    a.observeEvaluation(healthy());
    const fa = await render(a);
    const fb = await render(b);
    assert.equal(value(fa, 'probes_total', { kind: 'agent' }), 1);
    assert.equal(value(fb, 'probes_total', { kind: 'agent' }), 0);
    assert.equal(value(fb, 'build_info', { version: '2.0.0', nodejs: process.version }), 1);
    assert.equal(fb.has(`${P}answer_up`), false);
    assert.deepEqual(promClient.register.getMetricsAsArray(), []);
  });

  test('the content type is the text format 0.0.4', async () => {
    const { contentType } = await createMetrics({ version: '1.0.0' }).render(NOW);
    assert.equal(contentType, 'text/plain; version=0.0.4; charset=utf-8');
  });
});
