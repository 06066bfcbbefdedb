import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  STATE_REASONS,
  describeState,
  evaluate,
  recover,
  type Evaluation,
  type FailoverPolicy,
  type FailoverState,
  type RawDecision,
  type Step,
} from '../../../src/core/failover-state';
import { CAUGHT_UP, FRESH, LOCAL_DOWN, MAINTENANCE, PEER_GONE, RESTARTED, S, STOPPED, T0, evaluation, policy } from './failover-fixtures';

/** A node driven by a synthetic clock: `at` is ms after T0. */
class Node {
  state: FailoverState | undefined;
  constructor(readonly policy: FailoverPolicy) {}

  check(atMs: number, raw: RawDecision, over: Partial<Evaluation> = {}): Step {
    const step = evaluate(this.state, evaluation(atMs, raw, over), this.policy);
    this.state = step.state;
    return step;
  }

  recover(atMs: number, force = false) {
    const r = recover(this.state, T0 + atMs, 'alice', this.policy, force);
    if (r.ok) this.state = r.state;
    return r;
  }
}

function said(step: Step): string {
  return `${step.state.state} ${step.answer.verdict} ${step.answer.reason}`;
}

// ------------------------------------------------------------ defaults

test('default policy: the answer is the raw decision, at once both ways', () => {
  const n = new Node(policy());
  assert.equal(said(n.check(0, FRESH)), 'up UP fresh');
  assert.equal(said(n.check(1, LOCAL_DOWN)), 'down DOWN local-unreachable');
  assert.equal(n.check(2, LOCAL_DOWN).answer.detail, LOCAL_DOWN.detail);
  assert.equal(said(n.check(3, CAUGHT_UP)), 'up UP caught-up');
});

test('the new reason codes are exported for the decision table', () => {
  assert.deepEqual([...STATE_REASONS], ['holding-up', 'holding-down', 'awaiting-recover', 'state-unreadable', 'state-unwritable']);
});

// ------------------------------------------------------------ first evaluation

test('first evaluation UP: state up, one transition from none', () => {
  const step = new Node(policy()).check(0, FRESH);
  assert.equal(said(step), 'up UP fresh');
  assert.deepEqual(step.transitions, [{ from: 'none', to: 'up', at: T0, reason: 'fresh', detail: FRESH.detail, actor: 'probe' }]);
});

test('first evaluation DOWN with --down-after: failing like from up, answering UP', () => {
  const n = new Node(policy({ downAfterMs: 4 * S }));
  const step = n.check(0, LOCAL_DOWN);
  assert.equal(said(step), 'failing UP holding-up');
  assert.equal(step.transitions[0]?.from, 'none');
  assert.equal(said(n.check(4 * S, LOCAL_DOWN)), 'down DOWN local-unreachable');
});

test('first evaluation DOWN without --down-after: DOWN at once; manual failback latches it', () => {
  assert.equal(said(new Node(policy()).check(0, LOCAL_DOWN)), 'down DOWN local-unreachable');
  const manual = new Node(policy({ failback: 'manual' })).check(0, LOCAL_DOWN);
  assert.equal(said(manual), 'failed DOWN local-unreachable');
  assert.deepEqual(manual.state.latch, { at: T0, reason: 'local-unreachable', evidence: LOCAL_DOWN.detail });
});

test('first evaluation in maintenance: maintenance at once', () => {
  const step = new Node(policy({ downAfterMs: 4 * S })).check(0, MAINTENANCE);
  assert.equal(said(step), 'maintenance DOWN maintenance');
  assert.equal(step.state.beforeMaintenance, 'up');
});

// ------------------------------------------------------------ --down-after

test('--down-after: UP while failing, DOWN once the time has passed (inclusive)', () => {
  const n = new Node(policy({ downAfterMs: 4 * S }));
  n.check(0, FRESH);
  const first = n.check(10 * S, LOCAL_DOWN);
  assert.equal(said(first), 'failing UP holding-up');
  assert.deepEqual(
    first.transitions.map((t) => `${t.from}->${t.to}`),
    ['up->failing'],
  );
  assert.equal(said(n.check(12_100, LOCAL_DOWN)), 'failing UP holding-up');
  assert.equal(said(n.check(13_999, LOCAL_DOWN)), 'failing UP holding-up');
  const down = n.check(14 * S, LOCAL_DOWN);
  assert.equal(said(down), 'down DOWN local-unreachable');
  assert.deepEqual(
    down.transitions.map((t) => `${t.from}->${t.to}`),
    ['failing->down'],
  );
});

test('--down-after: the holding-up detail says since when, what, and for how long of how long', () => {
  const n = new Node(policy({ downAfterMs: 4 * S }));
  n.check(0, FRESH);
  n.check(10 * S, LOCAL_DOWN);
  assert.equal(
    n.check(12_100, LOCAL_DOWN).answer.detail,
    'failing since 2024-05-01T12:00:10.000Z: local-unreachable for 2.1 s of --down-after 4 s',
  );
});

test('--down-after: the time alone is not enough, a second evaluation must see it', () => {
  const n = new Node(policy({ downAfterMs: 1 }));
  n.check(0, FRESH);
  // One evaluation, however late it comes, is a single observation.
  assert.equal(said(n.check(60 * S, LOCAL_DOWN)), 'failing UP holding-up');
  assert.equal(said(n.check(60 * S + 1, LOCAL_DOWN)), 'down DOWN local-unreachable');
});

test('--down-after: two evaluations are not enough before the time has passed', () => {
  const n = new Node(policy({ downAfterMs: 4 * S }));
  for (let i = 0; i < 40; i++) assert.equal(n.check(i * 100, LOCAL_DOWN).answer.verdict, 'UP', `evaluation ${i}`);
  assert.equal(n.state?.evaluations, 40);
  assert.equal(n.check(4 * S, LOCAL_DOWN).answer.verdict, 'DOWN');
});

test('--down-after: a different DOWN reason keeps the same hold running', () => {
  const n = new Node(policy({ downAfterMs: 4 * S }));
  n.check(0, FRESH);
  n.check(1 * S, LOCAL_DOWN);
  assert.equal(said(n.check(3 * S, STOPPED)), 'failing UP holding-up');
  assert.equal(said(n.check(5 * S, STOPPED)), 'down DOWN replication-stopped');
});

test('a blip (failing, then UP) returns to up: a transition, but no DOWN transition', () => {
  const n = new Node(policy({ downAfterMs: 4 * S, flapLimit: 1 }));
  n.check(0, FRESH);
  n.check(1 * S, LOCAL_DOWN);
  const back = n.check(2 * S, FRESH);
  assert.equal(said(back), 'up UP fresh');
  assert.deepEqual(
    back.transitions.map((t) => `${t.from}->${t.to}`),
    ['failing->up'],
  );
  // flapLimit 1 would latch on the first DOWN transition: a blip is none.
  assert.deepEqual(n.state?.flaps, []);
  assert.equal(n.state?.latch, undefined);
  // The next failure starts a new hold.
  assert.equal(said(n.check(3 * S, LOCAL_DOWN)), 'failing UP holding-up');
  assert.equal(n.state?.since, T0 + 3 * S);
});

test('a clock stepped back while failing restarts the hold from now instead of stretching it', () => {
  const n = new Node(policy({ downAfterMs: 4 * S }));
  n.check(3_600 * S, LOCAL_DOWN);
  assert.equal(said(n.check(0, LOCAL_DOWN)), 'failing UP holding-up');
  assert.equal(n.state?.since, T0);
  assert.equal(said(n.check(4 * S, LOCAL_DOWN)), 'down DOWN local-unreachable');
});

// ------------------------------------------------------------ --up-after

test('--up-after: DOWN holding-down while recovering, UP once the time has passed and a second check saw it', () => {
  const n = new Node(policy({ upAfterMs: 4 * S }));
  n.check(0, LOCAL_DOWN);
  const first = n.check(10 * S, CAUGHT_UP);
  assert.equal(said(first), 'recovering DOWN holding-down');
  assert.equal(first.answer.detail, 'recovering since 2024-05-01T12:00:10.000Z: caught-up for 0 s of --up-after 4 s');
  assert.equal(said(n.check(13_999, FRESH)), 'recovering DOWN holding-down');
  assert.equal(said(n.check(14 * S, FRESH)), 'up UP fresh');
});

test('--up-after: a single late evaluation does not end recovering', () => {
  const n = new Node(policy({ upAfterMs: 1 }));
  n.check(0, LOCAL_DOWN);
  assert.equal(said(n.check(60 * S, FRESH)), 'recovering DOWN holding-down');
  assert.equal(said(n.check(60 * S + 1, FRESH)), 'up UP fresh');
});

test('--up-after: a DOWN check while recovering goes back to down and restarts the hold', () => {
  const n = new Node(policy({ upAfterMs: 4 * S }));
  n.check(0, LOCAL_DOWN);
  n.check(1 * S, FRESH);
  assert.equal(said(n.check(3 * S, STOPPED)), 'down DOWN replication-stopped');
  assert.equal(said(n.check(4 * S, FRESH)), 'recovering DOWN holding-down');
  assert.equal(said(n.check(7 * S, FRESH)), 'recovering DOWN holding-down');
  assert.equal(said(n.check(8 * S, FRESH)), 'up UP fresh');
});

// ------------------------------------------------------------ maintenance

test('maintenance acts at once from failing, whatever --down-after', () => {
  const n = new Node(policy({ downAfterMs: 60 * S }));
  n.check(0, FRESH);
  n.check(1 * S, LOCAL_DOWN);
  const m = n.check(2 * S, MAINTENANCE);
  assert.equal(said(m), 'maintenance DOWN maintenance');
  assert.equal(m.state.beforeMaintenance, 'failing');
});

test('leaving maintenance acts at once both ways, whatever --down-after and --up-after', () => {
  const n = new Node(policy({ downAfterMs: 60 * S, upAfterMs: 60 * S }));
  n.check(0, FRESH);
  n.check(1 * S, MAINTENANCE);
  assert.equal(said(n.check(2 * S, FRESH)), 'up UP fresh');
  n.check(3 * S, MAINTENANCE);
  assert.equal(said(n.check(4 * S, STOPPED)), 'down DOWN replication-stopped');
});

test('the maintenance flag counts even when the caller reports another raw reason', () => {
  const step = new Node(policy()).check(0, FRESH, { maintenance: true });
  assert.equal(said(step), 'maintenance DOWN maintenance');
  assert.equal(step.answer.detail, 'maintenance file present');
});

test('leaving maintenance DOWN is no DOWN transition: it neither latches (manual) nor counts as a flap', () => {
  const n = new Node(policy({ failback: 'manual', flapLimit: 1 }));
  n.check(0, FRESH);
  n.check(1 * S, MAINTENANCE);
  const out = n.check(2 * S, STOPPED);
  assert.equal(said(out), 'down DOWN replication-stopped');
  assert.equal(out.state.latch, undefined);
  assert.deepEqual(out.state.flaps, []);
  // Out of 'down' as usual, and a later DOWN from up latches again.
  assert.equal(said(n.check(3 * S, CAUGHT_UP)), 'up UP caught-up');
  assert.equal(said(n.check(4 * S, STOPPED)), 'failed DOWN replication-stopped');
});

test('the latch survives maintenance: leaving it returns to failed', () => {
  const n = new Node(policy({ failback: 'manual' }));
  n.check(0, LOCAL_DOWN);
  const m = n.check(1 * S, MAINTENANCE);
  assert.equal(said(m), 'maintenance DOWN maintenance');
  assert.equal(m.state.beforeMaintenance, 'failed');
  assert.ok(m.state.latch);
  const out = n.check(2 * S, FRESH);
  assert.equal(said(out), 'failed DOWN awaiting-recover');
  assert.deepEqual(
    out.transitions.map((t) => `${t.from}->${t.to}`),
    ['maintenance->failed'],
  );
  assert.equal(out.state.since, T0, 'failed since the latch, not since maintenance ended');
});

// ------------------------------------------------------------ manual failback

test('manual: a node that answered DOWN stays failed however healthy it gets, until recover', () => {
  const n = new Node(policy({ failback: 'manual' }));
  n.check(0, FRESH);
  const down = n.check(1 * S, LOCAL_DOWN);
  assert.equal(said(down), 'failed DOWN local-unreachable');
  assert.deepEqual(
    down.transitions.map((t) => `${t.from}->${t.to}`),
    ['up->failed'],
  );
  const healthy = n.check(2 * S, FRESH);
  assert.equal(said(healthy), 'failed DOWN awaiting-recover');
  assert.match(
    healthy.answer.detail,
    /^failed since 2024-05-01T12:00:01\.000Z \(local-unreachable: local server: connect ECONNREFUSED\); fresh now: run `mysql-failover-check recover`$/,
  );
  assert.equal(said(n.check(86_400 * S, CAUGHT_UP)), 'failed DOWN awaiting-recover');
  // While raw DOWN, the raw reason is answered.
  assert.equal(said(n.check(86_401 * S, STOPPED)), 'failed DOWN replication-stopped');
  assert.equal(n.check(86_402 * S, FRESH).transitions.length, 0);
});

test('manual with --down-after: failing, then failed instead of down', () => {
  const n = new Node(policy({ failback: 'manual', downAfterMs: 4 * S }));
  n.check(0, FRESH);
  assert.equal(said(n.check(1 * S, LOCAL_DOWN)), 'failing UP holding-up');
  assert.equal(said(n.check(5 * S, LOCAL_DOWN)), 'failed DOWN local-unreachable');
  assert.equal(n.state?.latch?.at, T0 + 5 * S);
});

test('manual: a DOWN check while recovering (after maintenance) latches', () => {
  const n = new Node(policy({ failback: 'manual', upAfterMs: 4 * S }));
  n.check(0, MAINTENANCE);
  n.check(1 * S, STOPPED);
  assert.equal(said(n.check(2 * S, CAUGHT_UP)), 'recovering DOWN holding-down');
  assert.equal(said(n.check(3 * S, STOPPED)), 'failed DOWN replication-stopped');
});

test('auto: recovering and DOWN goes back to down, no latch', () => {
  const n = new Node(policy({ upAfterMs: 4 * S }));
  n.check(0, LOCAL_DOWN);
  n.check(1 * S, FRESH);
  assert.equal(said(n.check(2 * S, LOCAL_DOWN)), 'down DOWN local-unreachable');
});

// ------------------------------------------------------------ restart evidence

test('manual: restart evidence latches from up even while raw is UP', () => {
  const n = new Node(policy({ failback: 'manual' }));
  n.check(0, FRESH);
  const step = n.check(600 * S, CAUGHT_UP, { restartEvidence: RESTARTED });
  assert.equal(said(step), 'failed DOWN awaiting-recover');
  assert.deepEqual(step.state.latch, { at: T0 + 600 * S, reason: 'restarted', evidence: RESTARTED });
  assert.match(step.answer.detail, /restarted: server uptime 30 s < heartbeat age 600 s/);
});

test('manual: restart evidence latches from failing and from recovering', () => {
  const failing = new Node(policy({ failback: 'manual', downAfterMs: 60 * S }));
  failing.check(0, FRESH);
  failing.check(1 * S, LOCAL_DOWN);
  assert.equal(said(failing.check(2 * S, CAUGHT_UP, { restartEvidence: RESTARTED })), 'failed DOWN awaiting-recover');

  const recovering = new Node(policy({ failback: 'manual', upAfterMs: 60 * S }));
  recovering.check(0, MAINTENANCE);
  recovering.check(1 * S, STOPPED);
  recovering.check(2 * S, CAUGHT_UP);
  assert.equal(recovering.state?.state, 'recovering');
  assert.equal(said(recovering.check(3 * S, CAUGHT_UP, { restartEvidence: RESTARTED })), 'failed DOWN awaiting-recover');
});

test('manual: restart evidence on the very first evaluation latches (no prior state counts as up)', () => {
  const step = new Node(policy({ failback: 'manual' })).check(0, CAUGHT_UP, { restartEvidence: RESTARTED });
  assert.equal(said(step), 'failed DOWN awaiting-recover');
});

test('manual: a restart during maintenance is planned work, also after maintenance while its evidence lasts', () => {
  const n = new Node(policy({ failback: 'manual' }));
  n.check(0, FRESH);
  n.check(1 * S, MAINTENANCE);
  assert.equal(said(n.check(2 * S, MAINTENANCE, { restartEvidence: RESTARTED })), 'maintenance DOWN maintenance');
  // The heartbeat stays stale until the next stamp: the same restart, judged already.
  assert.equal(said(n.check(3 * S, CAUGHT_UP, { restartEvidence: RESTARTED })), 'up UP caught-up');
  assert.equal(said(n.check(4 * S, CAUGHT_UP, { restartEvidence: RESTARTED })), 'up UP caught-up');
  // Stamped: the evidence is gone. A later restart is a new one.
  assert.equal(said(n.check(5 * S, FRESH)), 'up UP fresh');
  assert.equal(said(n.check(6 * S, CAUGHT_UP, { restartEvidence: RESTARTED })), 'failed DOWN awaiting-recover');
});

test('manual: restart evidence does not latch from down (left maintenance DOWN)', () => {
  const n = new Node(policy({ failback: 'manual' }));
  n.check(0, MAINTENANCE);
  n.check(1 * S, STOPPED);
  assert.equal(said(n.check(2 * S, STOPPED, { restartEvidence: RESTARTED })), 'down DOWN replication-stopped');
});

test('auto: restart evidence changes nothing', () => {
  const n = new Node(policy());
  n.check(0, FRESH);
  assert.equal(said(n.check(1 * S, CAUGHT_UP, { restartEvidence: RESTARTED })), 'up UP caught-up');
});

// ------------------------------------------------------------ flapping

function flap(n: Node, atMs: number): Step {
  const down = n.check(atMs, LOCAL_DOWN);
  if (down.state.state !== 'failed') n.check(atMs + 1, FRESH);
  return down;
}

test('flapping: the Nth DOWN transition within the window latches, also with failback auto', () => {
  const n = new Node(policy({ flapLimit: 3, flapWindowMs: 60 * S }));
  n.check(0, FRESH);
  assert.equal(flap(n, 0).state.state, 'down');
  assert.equal(flap(n, 20 * S).state.state, 'down');
  const third = flap(n, 40 * S);
  assert.equal(said(third), 'failed DOWN local-unreachable');
  assert.equal(third.state.latch?.reason, 'flapping');
  assert.equal(third.state.latch?.evidence, 'turned DOWN 3 times within --flap-window 60 s (last: local-unreachable)');
  assert.equal(said(n.check(41 * S, FRESH)), 'failed DOWN awaiting-recover');
});

test('flapping: a DOWN transition as old as the window has left it', () => {
  const n = new Node(policy({ flapLimit: 3, flapWindowMs: 60 * S }));
  n.check(0, FRESH);
  flap(n, 0);
  flap(n, 30 * S);
  // 60 s after the first: it no longer counts, so this is the second.
  assert.equal(flap(n, 60 * S).state.state, 'down');
  assert.deepEqual(n.state?.flaps, [T0 + 30 * S, T0 + 60 * S]);
  // Within 60 s of the last two: the third.
  assert.equal(flap(n, 89 * S).state.state, 'failed');
});

test('flapping: only DOWN transitions count, not DOWN evaluations, blips or recovering', () => {
  const n = new Node(policy({ flapLimit: 2, downAfterMs: 4 * S, upAfterMs: 4 * S }));
  n.check(0, FRESH);
  for (let i = 1; i <= 10; i++) {
    n.check(i * 10 * S, LOCAL_DOWN); // failing
    n.check(i * 10 * S + 1, FRESH); // blip back
  }
  assert.deepEqual(n.state?.flaps, []);
  n.check(200 * S, LOCAL_DOWN);
  n.check(204 * S, LOCAL_DOWN); // down: one DOWN transition
  for (let i = 0; i < 10; i++) n.check(205 * S + i, LOCAL_DOWN);
  n.check(210 * S, FRESH); // recovering
  n.check(211 * S, LOCAL_DOWN); // recovering -> down: the answer was DOWN already
  assert.equal(n.state?.state, 'down');
  assert.deepEqual(n.state?.flaps, [T0 + 204 * S]);
});

test('flapping off (limit 0) keeps no history', () => {
  const n = new Node(policy());
  for (let i = 0; i < 5; i++) flap(n, i * S);
  assert.deepEqual(n.state?.flaps, []);
  assert.equal(n.state?.state, 'up');
});

test('flapping: the history is bounded by the limit', () => {
  const n = new Node(policy({ flapLimit: 3, flapWindowMs: 10 * S }));
  for (let i = 0; i < 50; i++) flap(n, i * 6 * S);
  assert.equal(n.state?.state, 'up');
  assert.ok((n.state?.flaps.length ?? 0) <= 3);
});

// ------------------------------------------------------------ never drop the last node

test('never drop the last node: failed with the peer unreachable answers UP and stays failed', () => {
  const n = new Node(policy({ failback: 'manual' }));
  n.check(0, LOCAL_DOWN);
  const alone = n.check(1 * S, PEER_GONE);
  assert.equal(said(alone), 'failed UP peer-unreachable');
  assert.equal(alone.answer.detail, 'failed, but the peer is unreachable: taking traffic as the last node');
  assert.equal(alone.transitions.length, 0);
  assert.equal(said(n.check(2 * S, FRESH)), 'failed DOWN awaiting-recover');
});

test('never drop the last node does not override the local node being down', () => {
  const n = new Node(policy({ failback: 'manual' }));
  n.check(0, LOCAL_DOWN);
  assert.equal(said(n.check(1 * S, LOCAL_DOWN, { peerUnreachable: true })), 'failed DOWN local-unreachable');
});

test('never drop the last node outranks --up-after: down or recovering with the peer gone goes up at once', () => {
  const n = new Node(policy({ upAfterMs: 60 * S }));
  n.check(0, LOCAL_DOWN);
  assert.equal(said(n.check(1 * S, PEER_GONE)), 'up UP peer-unreachable');
  n.check(2 * S, LOCAL_DOWN);
  assert.equal(said(n.check(3 * S, FRESH)), 'recovering DOWN holding-down');
  assert.equal(said(n.check(4 * S, PEER_GONE)), 'up UP peer-unreachable');
});

// ------------------------------------------------------------ recover

test('recover: failed -> up, clears the latch and the flap history, records who and when', () => {
  const n = new Node(policy({ failback: 'manual', flapLimit: 2 }));
  n.check(0, FRESH);
  flap(n, 1 * S);
  assert.equal(n.state?.state, 'failed');
  assert.equal(n.state?.flaps.length, 1);
  const r = n.recover(10 * S);
  assert.ok(r.ok);
  assert.equal(r.state.state, 'up');
  assert.equal(r.state.verdict, 'UP');
  assert.equal(r.state.latch, undefined);
  assert.deepEqual(r.state.flaps, []);
  assert.deepEqual(r.state.recovered, { at: T0 + 10 * S, by: 'alice' });
  assert.deepEqual(r.transition, {
    from: 'failed',
    to: 'up',
    at: T0 + 10 * S,
    reason: 'recover',
    detail: 'recovered by alice',
    actor: 'operator',
  });
  assert.equal(said(n.check(11 * S, FRESH)), 'up UP fresh');
});

test('recover with --up-after: recovering, then up after the hold', () => {
  const n = new Node(policy({ failback: 'manual', upAfterMs: 4 * S }));
  n.check(0, LOCAL_DOWN);
  const r = n.recover(10 * S);
  assert.ok(r.ok);
  assert.equal(r.state.state, 'recovering');
  assert.equal(said(n.check(11 * S, FRESH)), 'recovering DOWN holding-down');
  assert.equal(said(n.check(14 * S, FRESH)), 'up UP fresh');
});

test('recover with --up-after: one evaluation, however late, does not end recovering; a second does', () => {
  const n = new Node(policy({ failback: 'manual', upAfterMs: 4 * S }));
  n.check(0, LOCAL_DOWN);
  assert.ok(n.recover(10 * S).ok);
  // The operator's recover is no evaluation: the hold's time has passed, but one check saw it.
  assert.equal(said(n.check(3_600 * S, FRESH)), 'recovering DOWN holding-down');
  assert.equal(said(n.check(3_600 * S + 1, FRESH)), 'up UP fresh');
});

test('recover after a flapping latch: the next DOWN transition does not latch again at once', () => {
  const n = new Node(policy({ flapLimit: 2, flapWindowMs: 3_600 * S }));
  n.check(0, FRESH);
  flap(n, 1 * S);
  flap(n, 2 * S);
  assert.equal(n.state?.state, 'failed');
  assert.ok(n.recover(3 * S).ok);
  assert.equal(flap(n, 4 * S).state.state, 'down');
});

test('recover refuses a node that is not failed, and a missing state without --force', () => {
  const n = new Node(policy());
  n.check(0, FRESH);
  const refused = n.recover(1 * S);
  assert.deepEqual(refused, { ok: false, why: 'the node is up, not failed: nothing to recover' });
  assert.equal(n.state?.state, 'up');
  assert.deepEqual(recover(undefined, T0, 'alice', policy()), { ok: false, why: 'no failover state recorded: nothing to recover' });
  // --force does not invent a latch to clear on a healthy state either.
  assert.equal(recover(n.state, T0, 'alice', policy(), true).ok, false);
});

test('recover --force starts from no usable state (a corrupt file)', () => {
  const r = recover(undefined, T0, 'alice', policy({ upAfterMs: 4 * S }), true);
  assert.ok(r.ok);
  assert.equal(r.state.state, 'recovering');
  assert.equal(r.transition.from, 'none');
  assert.equal(r.transition.detail, 'recovered by alice (--force)');
});

test('recover in maintenance clears the latch kept for afterwards; maintenance stays', () => {
  const n = new Node(policy({ failback: 'manual' }));
  n.check(0, LOCAL_DOWN);
  n.check(1 * S, MAINTENANCE);
  const r = n.recover(2 * S);
  assert.ok(r.ok);
  assert.equal(r.state.state, 'maintenance');
  assert.equal(r.state.latch, undefined);
  assert.equal(said(n.check(3 * S, FRESH)), 'up UP fresh');
});

test('recover: restart evidence still lasting until the next stamp does not latch again', () => {
  const n = new Node(policy({ failback: 'manual' }));
  n.check(0, FRESH);
  n.check(600 * S, CAUGHT_UP, { restartEvidence: RESTARTED });
  assert.ok(n.recover(601 * S).ok);
  assert.equal(said(n.check(602 * S, CAUGHT_UP, { restartEvidence: RESTARTED })), 'up UP caught-up');
});

// ------------------------------------------------------------ transitions

test('a transition per state change, none while staying; the actor is passed through', () => {
  const n = new Node(policy({ downAfterMs: 2 * S }));
  const seen: string[] = [];
  const run = (atMs: number, raw: RawDecision, actor: Evaluation['actor']): void => {
    for (const t of n.check(atMs, raw, { actor }).transitions) seen.push(`${t.from}->${t.to} ${t.reason} ${t.actor}`);
  };
  run(0, FRESH, 'probe');
  run(1 * S, FRESH, 'probe');
  run(2 * S, LOCAL_DOWN, 'watcher');
  run(3 * S, LOCAL_DOWN, 'watcher');
  run(4 * S, LOCAL_DOWN, 'probe');
  run(5 * S, LOCAL_DOWN, 'probe');
  run(6 * S, MAINTENANCE, 'watcher');
  run(7 * S, FRESH, 'probe');
  assert.deepEqual(seen, [
    'none->up fresh probe',
    'up->failing holding-up watcher',
    'failing->down local-unreachable probe',
    'down->maintenance maintenance watcher',
    'maintenance->up fresh probe',
  ]);
});

test('a steady state changes nothing between evaluations (nothing to rewrite)', () => {
  for (const [p, raw] of [
    [policy(), FRESH],
    [policy(), LOCAL_DOWN],
    [policy({ failback: 'manual' }), FRESH],
    [policy(), MAINTENANCE],
  ] as const) {
    const n = new Node(p);
    n.check(0, LOCAL_DOWN);
    n.check(1 * S, raw);
    const before = structuredClone(n.state);
    n.check(2 * S, raw);
    assert.deepEqual(n.state, before, `${p.failback} ${raw.reason}`);
  }
});

// ------------------------------------------------------------ describeState

test('describeState: failing says when it answers DOWN', () => {
  const p = policy({ downAfterMs: 4 * S });
  const n = new Node(p);
  n.check(0, FRESH);
  n.check(1 * S, LOCAL_DOWN);
  const d = describeState(n.state as FailoverState, p, T0 + 3_100);
  assert.equal(d.state, 'failing');
  assert.equal(d.since, T0 + 1 * S);
  assert.equal(d.evidence, 'local-unreachable: local server: connect ECONNREFUSED for 2.1 s, 1 check(s)');
  assert.equal(
    d.ends,
    'answers DOWN if still failing at 2024-05-01T12:00:05.000Z (in 1.9 s) and seen by one more check; UP again on the first good check',
  );
});

test('describeState: failed says to run recover, with the latch as evidence', () => {
  const p = policy({ failback: 'manual' });
  const n = new Node(p);
  n.check(0, LOCAL_DOWN);
  const d = describeState(n.state as FailoverState, p, T0 + 60 * S);
  assert.deepEqual(d, {
    state: 'failed',
    since: T0,
    evidence: 'local-unreachable: local server: connect ECONNREFUSED',
    ends: 'run `mysql-failover-check recover` once caught up',
  });
});

test('describeState: maintenance over a latch says the latch stays', () => {
  const p = policy({ failback: 'manual' });
  const n = new Node(p);
  n.check(0, LOCAL_DOWN);
  n.check(1 * S, MAINTENANCE);
  const d = describeState(n.state as FailoverState, p, T0 + 2 * S);
  assert.match(d.evidence, /^maintenance file present; failed before \(local-unreachable: /);
  assert.equal(d.ends, 'removing the maintenance file leaves it failed: run `mysql-failover-check recover` once caught up');
});

test('describeState: up, down and recovering say what ends them under the policy', () => {
  const p = policy({ downAfterMs: 4 * S, upAfterMs: 8 * S });
  const n = new Node(p);
  n.check(0, FRESH);
  assert.equal(describeState(n.state as FailoverState, p, T0).ends, 'a DOWN condition lasting --down-after 4 s and seen by 2 checks');
  n.check(1 * S, LOCAL_DOWN);
  n.check(5 * S, LOCAL_DOWN);
  assert.equal(describeState(n.state as FailoverState, p, T0).ends, 'good checks lasting --up-after 8 s and seen by 2 checks');
  n.check(6 * S, FRESH);
  assert.match(
    describeState(n.state as FailoverState, p, T0 + 6 * S).ends,
    /^answers UP if still good at 2024-05-01T12:00:14\.000Z \(in 8 s\)/,
  );
  const quick = policy({ failback: 'manual' });
  assert.equal(
    describeState(new Node(quick).check(0, FRESH).state, quick, T0).ends,
    'a DOWN check answers DOWN at once and latches the node as failed',
  );
});
