/** The Nagios state mapping and output formatting (src/answers/nagios.ts), pure. */
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { decide, errorDecision, type Facts, type Heartbeat, type Thresholds } from '../../../src/core/decide';
import type { ReplicaChannel } from '../../../src/core/replica-status';
import { channel } from '../../support/channels';
import type { HeartbeatRead } from '../../../src/core/heartbeat';
import {
  EXIT_CODE,
  evaluate,
  formatOutput,
  parseTimeoutOption,
  unknownOutput,
  worstState,
  type PluginReport,
  type PluginThresholds,
} from '../../../src/answers/nagios';
import { formatPerfdatum } from '../../../src/answers/perfdata';
import { parseRange } from '../../../src/answers/range';
import { CheckError } from '../../../src/core/errors';

const LB: Thresholds = { fresh: 20, maxLag: 1 };

const FRESH: Heartbeat = { state: 'ok', age: 3 };
const STALE: Heartbeat = { state: 'ok', age: 300 };

function facts(over: { heartbeat?: Heartbeat; channels?: ReplicaChannel[]; peer?: Facts['peer'] } = {}): Facts {
  return {
    maintenance: false,
    local: { ok: true, heartbeat: over.heartbeat ?? FRESH, channels: over.channels ?? [channel()] },
    peer: over.peer ?? { configured: true, ok: true },
  };
}

const READ: HeartbeatRead = {
  now: 1_700_000_000,
  version: '10.11.6-MariaDB',
  serverId: 1,
  keyed: true,
  node: '1',
  heartbeat: FRESH,
};

function thresholds(over: Partial<Record<'w' | 'c' | 'hw' | 'hc', string>> & { channel?: string } = {}): PluginThresholds {
  return {
    lagWarning: over.w === undefined ? undefined : parseRange(over.w),
    lagCritical: over.c === undefined ? undefined : parseRange(over.c),
    heartbeatWarning: over.hw === undefined ? undefined : parseRange(over.hw),
    heartbeatCritical: over.hc === undefined ? undefined : parseRange(over.hc),
    channel: over.channel,
    timeoutState: 'CRITICAL',
    timeoutSeconds: 10,
  };
}

function run(f: Facts, t: PluginThresholds = thresholds(), lb: Thresholds = LB): PluginReport {
  return evaluate({ decision: decide(f, { ...lb, channel: t.channel }), facts: f, heartbeat: READ, elapsedMs: 12 }, t);
}

function perf(r: PluginReport): string {
  return r.perfdata.map(formatPerfdatum).join(' ');
}

describe('state mapping (docs/design.md, "The Nagios states")', () => {
  test('healthy: OK with lag, heartbeat age, peer and time perfdata', () => {
    const r = run(facts(), thresholds({ w: '5', c: '10' }));
    assert.equal(r.state, 'OK');
    assert.equal(r.summary, 'replication running, lag 0 s, heartbeat age 3 s, peer reachable; LB verdict UP (fresh)');
    assert.equal(perf(r), "'lag'=0s;5;10;0 'heartbeat_age'=3s 'peer_reachable'=1;;;0;1 'time'=0.012s;;;0");
  });

  test('lag inside -w..-c: WARNING; beyond -c: CRITICAL; ends inclusive', () => {
    const t = thresholds({ w: '5', c: '10' });
    assert.equal(run(facts({ channels: [channel({ lag: 5 })] }), t).state, 'OK');
    const w = run(facts({ channels: [channel({ lag: 6 })] }), t);
    assert.equal(w.state, 'WARNING');
    assert.match(w.summary, /^default channel lag 6 s \(warning 5\); LB verdict UP \(fresh\)$/);
    assert.equal(run(facts({ channels: [channel({ lag: 10 })] }), t).state, 'WARNING');
    const c = run(facts({ channels: [channel({ lag: 11 })] }), t);
    assert.equal(c.state, 'CRITICAL');
    assert.match(c.summary, /default channel lag 11 s \(critical 10\)/);
  });

  test('no -w/-c: lag alone is not judged while the LB says UP', () => {
    assert.equal(run(facts({ channels: [channel({ lag: 500 })] })).state, 'OK');
  });

  test('the worst channel decides; --channel narrows', () => {
    const chans = [channel({ name: 'one', lag: 0 }), channel({ name: 'two', lag: 30 })];
    const all = run(facts({ channels: chans }), thresholds({ w: '5', c: '10' }));
    assert.equal(all.state, 'CRITICAL');
    assert.match(all.summary, /channel 'two' lag 30 s/);
    assert.match(perf(all), /'lag_one'=0s;5;10;0 'lag_two'=30s;5;10;0/);
    const one = run(facts({ channels: chans }), thresholds({ w: '5', c: '10', channel: 'one' }));
    assert.equal(one.state, 'OK');
    assert.doesNotMatch(perf(one), /lag_two/);
  });

  test('--channel naming no channel: CRITICAL, said once', () => {
    const r = run(facts({ heartbeat: STALE }), thresholds({ channel: 'nope' }));
    assert.equal(r.state, 'CRITICAL');
    assert.equal(r.summary, "replication channel 'nope' not configured; LB verdict DOWN (not-a-replica)");
  });

  test('a NULL lag is never 0: "lag unknown" and perfdata U', () => {
    const r = run(facts({ channels: [channel({ ioRunning: 'Connecting', lag: null, lastIoErrno: 2003, lastIoError: "Can't connect" })] }));
    assert.equal(r.state, 'CRITICAL');
    assert.match(r.summary, /replication not running: default channel: IO Connecting, SQL Yes, lag unknown, last IO error 2003/);
    assert.match(perf(r), /'lag'=U;;;0 /);
    assert.doesNotMatch(perf(r), /'lag'=0/);
  });

  test('replication stopped while the peer is up: CRITICAL (even with a fresh heartbeat)', () => {
    const r = run(facts({ channels: [channel({ ioRunning: 'No', sqlRunning: 'No', lag: null })] }));
    assert.equal(r.state, 'CRITICAL');
    assert.match(r.summary, /LB verdict UP \(fresh\)$/);
  });

  test('replication stopped with a stale heartbeat: CRITICAL, the LB reason not repeated', () => {
    const r = run(
      facts({
        heartbeat: STALE,
        channels: [channel({ sqlRunning: 'No', lag: null, lastSqlErrno: 1062, lastSqlError: 'Duplicate entry' })],
      }),
    );
    assert.equal(r.state, 'CRITICAL');
    assert.equal(r.problems.length, 1);
    assert.match(r.summary, /LB verdict DOWN \(replication-stopped\)$/);
    const v = formatOutput(r, true);
    assert.match(v, /\n  last SQL error 1062: Duplicate entry\n/);
  });

  test('peer down: WARNING; the replica I/O thread that cannot reach it is expected', () => {
    const r = run(
      facts({
        peer: { configured: true, ok: false, reachable: false, error: { code: 'CONNECT_FAILED', message: 'peer: connect: ECONNREFUSED' } },
        channels: [channel({ ioRunning: 'Connecting', lag: null, lastIoErrno: 2003, lastIoError: 'x' })],
        heartbeat: STALE,
      }),
    );
    assert.equal(r.state, 'WARNING');
    assert.match(r.summary, /^peer unreachable, serving alone: peer: connect: ECONNREFUSED; /);
    assert.match(r.summary, /LB verdict UP \(peer-unreachable\)$/);
    assert.match(perf(r), /'peer_reachable'=0;;;0;1/);
    assert.match(perf(r), /'lag'=U/);
  });

  test('peer down but the SQL thread stopped: still CRITICAL', () => {
    const r = run(
      facts({
        peer: { configured: true, ok: false, reachable: false, error: { code: 'TIMEOUT', message: 'peer: connect: no answer' } },
        channels: [channel({ ioRunning: 'Connecting', sqlRunning: 'No', lag: null })],
      }),
    );
    assert.equal(r.state, 'CRITICAL');
  });

  test('no peer configured: no peer_reachable perfdata', () => {
    const r = run(facts({ peer: { configured: false } }));
    assert.equal(r.state, 'OK');
    assert.doesNotMatch(perf(r), /peer_reachable/);
    assert.doesNotMatch(r.summary, /peer/);
  });

  test('LB verdict DOWN for catching-up: CRITICAL even inside -w', () => {
    const r = run(facts({ heartbeat: STALE, channels: [channel({ lag: 3 })] }), thresholds({ w: '5', c: '10' }));
    assert.equal(r.state, 'CRITICAL');
    assert.equal(r.summary, 'the load balancer would be told DOWN (catching-up): default channel: IO Yes, SQL Yes, lag 3 s > 1 s');
  });

  test('not a replica: OK while the LB says UP, CRITICAL when it says DOWN', () => {
    const up = run(facts({ channels: [] }));
    assert.equal(up.state, 'OK');
    assert.match(up.summary, /^no replication configured, heartbeat age 3 s, peer reachable; LB verdict UP \(fresh\)$/);
    const down = run(facts({ channels: [], heartbeat: STALE }));
    assert.equal(down.state, 'CRITICAL');
    assert.match(down.summary, /told DOWN \(not-a-replica\): no replication configured/);
  });

  test('local unreachable / auth failure: CRITICAL with the server error code', () => {
    const f: Facts = {
      maintenance: false,
      local: {
        ok: false,
        error: {
          code: 'AUTH_FAILED',
          message: "local server: connect: ER_ACCESS_DENIED_ERROR (1045): Access denied for user 'm'@'localhost'",
        },
      },
      peer: { configured: true, ok: true },
    };
    const r = run(f);
    assert.equal(r.state, 'CRITICAL');
    assert.match(r.summary, /ER_ACCESS_DENIED_ERROR \(1045\)/);
    assert.equal(perf(r), "'peer_reachable'=1;;;0;1 'time'=0.012s;;;0");
  });

  test('local timeout: the -t state, CRITICAL by default, else as chosen', () => {
    const f: Facts = {
      maintenance: false,
      local: { ok: false, error: { code: 'TIMEOUT', message: 'local server: connect: no answer within the deadline' } },
      peer: { configured: false },
    };
    const r = run(f);
    assert.equal(r.state, 'CRITICAL');
    assert.match(r.summary, /^timeout after 10 s: local server: connect: no answer/);
    assert.equal(run(f, { ...thresholds(), timeoutState: 'UNKNOWN' }).state, 'UNKNOWN');
    assert.equal(run(f, { ...thresholds(), timeoutState: 'OK' }).state, 'OK');
  });

  test('the hard guard: timed out, the -t state', () => {
    const r = evaluate(
      { decision: errorDecision({ code: 'TIMEOUT', message: 'x' }), facts: undefined, elapsedMs: 2000, timedOut: true },
      { ...thresholds(), timeoutSeconds: 2, timeoutState: 'WARNING' },
    );
    assert.equal(r.state, 'WARNING');
    assert.equal(formatOutput(r, false), "MYSQL FAILOVER WARNING - check timed out after 2 s | 'time'=2s;;;0\n");
  });

  test('maintenance: WARNING', () => {
    const f: Facts = {
      maintenance: true,
      local: { ok: false, error: { code: 'MAINTENANCE', message: 'not checked (maintenance)' } },
      peer: { configured: false },
    };
    const r = run(f);
    assert.equal(r.state, 'WARNING');
    assert.match(r.summary, /^maintenance file present.*; LB verdict DOWN \(maintenance\)$/);
  });

  test('an internal error without facts: UNKNOWN', () => {
    const r = evaluate({ decision: errorDecision({ code: 'INTERNAL', message: 'boom' }), facts: undefined, elapsedMs: 1 }, thresholds());
    assert.equal(r.state, 'UNKNOWN');
  });

  test('heartbeat ranges: judged only when given; a missing stamp takes the worst given level', () => {
    assert.equal(run(facts({ heartbeat: { state: 'ok', age: 100 } })).state, 'OK');
    const t = thresholds({ hw: '30', hc: '60' });
    assert.equal(run(facts({ heartbeat: { state: 'ok', age: 30 } }), t).state, 'OK');
    const w = run(facts({ heartbeat: { state: 'ok', age: 31 } }), t, { fresh: 100, maxLag: 1 });
    assert.equal(w.state, 'WARNING');
    assert.match(w.summary, /heartbeat age 31 s \(warning 30\)/);
    assert.equal(run(facts({ heartbeat: { state: 'ok', age: 61 } }), t, { fresh: 100, maxLag: 1 }).state, 'CRITICAL');
    assert.equal(run(facts({ heartbeat: { state: 'empty', age: null } }), t).state, 'CRITICAL');
    assert.equal(run(facts({ heartbeat: { state: 'null', age: null } }), thresholds({ hw: '30' })).state, 'WARNING');
    // A stamp in the future has a negative age: outside 0..30.
    assert.equal(run(facts({ heartbeat: { state: 'future', age: -5 } }), thresholds({ hw: '30' })).state, 'WARNING');
    const p = perf(run(facts({ heartbeat: { state: 'empty', age: null } }), t));
    assert.match(p, /'heartbeat_age'=U;30;60/);
  });

  test('problems are listed worst first', () => {
    const r = run(
      facts({
        peer: { configured: true, ok: false, reachable: false, error: { code: 'CONNECT_FAILED', message: 'peer: connect: ECONNREFUSED' } },
        channels: [channel({ sqlRunning: 'No', lag: null })],
      }),
    );
    assert.equal(r.state, 'CRITICAL');
    assert.match(r.summary, /^replication not running: .*; peer unreachable/);
  });
});

describe('formatting', () => {
  test("status line: no '|' or newline may leak from error texts", () => {
    const r: PluginReport = {
      state: 'CRITICAL',
      summary: 'bad | thing\nsecond line',
      problems: [],
      details: ['detail | x\ny'],
      perfdata: [{ label: 'time', value: 1, uom: 's' }],
    };
    assert.equal(formatOutput(r, false), "MYSQL FAILOVER CRITICAL - bad / thing second line | 'time'=1s\n");
    assert.equal(formatOutput(r, true), "MYSQL FAILOVER CRITICAL - bad / thing second line | 'time'=1s\ndetail / x y\n");
  });

  test('-v: per-channel state, last errors and the decision path', () => {
    const r = run(
      facts({ heartbeat: STALE, channels: [channel({ lag: 0, lastIoErrno: 2013, lastIoError: 'Lost connection' })] }),
      thresholds({ w: '5', c: '10' }),
    );
    const lines = formatOutput(r, true).split('\n');
    assert.match(lines[0] ?? '', /^MYSQL FAILOVER OK - /);
    assert.ok(lines.includes('default channel: IO Yes, SQL Yes, lag 0 s, last IO error 2013: OK'), lines.join('\n'));
    assert.ok(lines.includes('  last IO error 2013: Lost connection'));
    assert.ok(lines.includes('lag thresholds: warning 5 (alert when < 0 or > 5), critical 10 (alert when < 0 or > 10)'));
    assert.ok(lines.includes('decision: => UP (caught-up)'));
    assert.ok(lines.some((l) => l.startsWith('decision: heartbeat stale')));
    assert.ok(lines.includes('peer: reachable'));
  });

  test('unknownOutput', () => {
    assert.equal(unknownOutput('bad -w', ['Usage: x']), 'MYSQL FAILOVER UNKNOWN - bad -w\nUsage: x\n');
  });

  test('exit codes and worst state', () => {
    assert.deepEqual(EXIT_CODE, { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 });
    assert.equal(worstState([]), 'OK');
    assert.equal(worstState(['OK', 'UNKNOWN']), 'UNKNOWN');
    assert.equal(worstState(['UNKNOWN', 'WARNING']), 'WARNING');
    assert.equal(worstState(['WARNING', 'CRITICAL', 'UNKNOWN']), 'CRITICAL');
  });
});

describe('-t SECONDS[:STATE]', () => {
  test('default state CRITICAL; names in any case and 0-3', () => {
    assert.deepEqual(parseTimeoutOption('10'), { seconds: '10', state: 'CRITICAL' });
    assert.deepEqual(parseTimeoutOption('5:unknown'), { seconds: '5', state: 'UNKNOWN' });
    assert.deepEqual(parseTimeoutOption('5:WARNING'), { seconds: '5', state: 'WARNING' });
    assert.deepEqual(parseTimeoutOption('5:ok'), { seconds: '5', state: 'OK' });
    assert.deepEqual(parseTimeoutOption('5:2'), { seconds: '5', state: 'CRITICAL' });
    assert.deepEqual(parseTimeoutOption('5:3'), { seconds: '5', state: 'UNKNOWN' });
  });

  test('a bad state is a USAGE error naming it', () => {
    assert.throws(
      () => parseTimeoutOption('5:BAD'),
      (e: unknown) => e instanceof CheckError && e.code === 'USAGE' && /"BAD"/.test(e.message),
    );
    assert.throws(() => parseTimeoutOption('5:'), CheckError);
    assert.throws(() => parseTimeoutOption('5:4'), CheckError);
  });
});
