import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventsFor, withEventsSent, type FailoverEvent } from '../../../src/core/events';
import {
  evaluate,
  recover,
  type Evaluation,
  type FailoverPolicy,
  type FailoverState,
  type RawDecision,
} from '../../../src/core/failover-state';
import { decodeState, encodeState } from '../../../src/io/state-format';
import { FRESH, LOCAL_DOWN, MAINTENANCE, PEER_GONE, S, T0, evaluation, policy } from './failover-fixtures';

/** Evaluates, fires, and stores the state with its events recorded, as a caller does. */
class Node {
  fired: FailoverEvent[] = [];
  constructor(
    readonly policy: FailoverPolicy,
    public state: FailoverState | undefined = undefined,
  ) {}

  check(atMs: number, raw: RawDecision, over: Partial<Evaluation> = {}): string[] {
    const ev = evaluation(atMs, raw, over);
    const next = evaluate(this.state, ev, this.policy).state;
    return this.fire(next, ev);
  }

  recover(atMs: number): string[] {
    const r = recover(this.state, T0 + atMs, 'alice', this.policy);
    assert.ok(r.ok);
    return this.fire(r.state, { at: T0 + atMs, actor: 'operator' });
  }

  /** A restart of the process: the state as the file gives it back. */
  restart(): void {
    assert.ok(this.state);
    this.state = decodeState(encodeState(this.state, 'node')).state;
  }

  private fire(next: FailoverState, when: { at: number; actor: Evaluation['actor'] }): string[] {
    const events = eventsFor(this.state, next, when);
    this.fired.push(...events);
    this.state = withEventsSent(next);
    return events.map((e) => e.event);
  }
}

test('once per change: a hundred DOWN evaluations fire one down, the way back one up', () => {
  const n = new Node(policy());
  n.check(0, FRESH);
  for (let i = 1; i <= 100; i++) n.check(i * S, LOCAL_DOWN);
  for (let i = 101; i <= 200; i++) n.check(i * S, FRESH);
  assert.deepEqual(
    n.fired.map((e) => e.event),
    ['down', 'up'],
  );
  assert.deepEqual(n.fired[0], { event: 'down', from: 'up', to: 'down', reason: 'local-unreachable', at: T0 + 1 * S, actor: 'probe' });
});

test('a blip held UP by --down-after fires nothing: the answered verdict never changed', () => {
  const n = new Node(policy({ downAfterMs: 4 * S }));
  n.check(0, FRESH);
  assert.deepEqual(n.check(1 * S, LOCAL_DOWN), []);
  assert.deepEqual(n.check(2 * S, FRESH), []);
  assert.deepEqual(n.check(3 * S, LOCAL_DOWN), []);
  assert.deepEqual(n.check(7 * S, LOCAL_DOWN), ['down']);
});

test('a restart into the same state fires nothing', () => {
  for (const [name, p, raw] of [
    ['up', policy(), FRESH],
    ['down', policy(), LOCAL_DOWN],
    ['failed', policy({ failback: 'manual' }), LOCAL_DOWN],
    ['failed, alone', policy({ failback: 'manual' }), PEER_GONE],
    ['maintenance', policy(), MAINTENANCE],
  ] as const) {
    const n = new Node(p);
    n.check(0, LOCAL_DOWN);
    n.check(1 * S, raw);
    n.restart();
    assert.deepEqual(n.check(2 * S, raw), [], name);
  }
});

test('first start: only the non-default conditions fire', () => {
  assert.deepEqual(new Node(policy()).check(0, FRESH), []);
  assert.deepEqual(new Node(policy()).check(0, LOCAL_DOWN), ['down']);
  assert.deepEqual(new Node(policy({ failback: 'manual' })).check(0, LOCAL_DOWN), ['failed', 'down']);
  assert.deepEqual(new Node(policy()).check(0, PEER_GONE), ['peer-lost']);
  assert.deepEqual(new Node(policy()).check(0, MAINTENANCE), ['maintenance-on', 'down']);
});

test('first start: the default conditions are recorded silently, so the first change fires', () => {
  const n = new Node(policy());
  assert.deepEqual(n.check(0, FRESH), []);
  assert.deepEqual(n.state?.sent, { verdict: 'up', latch: 'recovered', peer: 'peer-back', maintenance: 'maintenance-off' });
  assert.deepEqual(n.check(1 * S, LOCAL_DOWN), ['down']);
});

test('a first event names no previous state', () => {
  const n = new Node(policy());
  n.check(0, LOCAL_DOWN, { actor: 'watcher' });
  assert.deepEqual(n.fired, [{ event: 'down', from: 'none', to: 'down', reason: 'local-unreachable', at: T0, actor: 'watcher' }]);
});

test('peer-lost once the peer has been unreachable for --down-after and seen by two evaluations; peer-back at once', () => {
  const n = new Node(policy({ downAfterMs: 4 * S }));
  n.check(0, FRESH);
  assert.deepEqual(n.check(1 * S, PEER_GONE), []);
  assert.deepEqual(n.check(4_999, PEER_GONE), []);
  assert.deepEqual(n.check(5 * S, PEER_GONE), ['peer-lost']);
  for (let i = 6; i < 20; i++) assert.deepEqual(n.check(i * S, PEER_GONE), []);
  assert.deepEqual(n.check(20 * S, FRESH), ['peer-back']);
  assert.deepEqual(n.check(21 * S, FRESH), []);
  const lost = n.fired[0];
  assert.equal(lost?.reason, 'peer-unreachable');
  assert.equal(n.fired[1]?.reason, 'peer-reachable');
});

test('peer-lost: a single evaluation, however late, is not enough', () => {
  const n = new Node(policy({ downAfterMs: 1 }));
  n.check(0, FRESH);
  assert.deepEqual(n.check(3_600 * S, PEER_GONE), []);
  assert.deepEqual(n.check(3_600 * S + 1, PEER_GONE), ['peer-lost']);
});

test('peer-lost at once without --down-after; a reachable peer in between restarts the clock', () => {
  assert.deepEqual(new Node(policy()).check(0, PEER_GONE), ['peer-lost']);
  const n = new Node(policy({ downAfterMs: 4 * S }));
  n.check(0, PEER_GONE);
  n.check(3 * S, FRESH);
  n.check(4 * S, PEER_GONE);
  assert.deepEqual(n.check(7 * S, PEER_GONE), []);
  assert.deepEqual(n.check(8 * S, PEER_GONE), ['peer-lost']);
});

test('failed, then recovered and up: the cause before the verdict', () => {
  const n = new Node(policy({ failback: 'manual' }));
  n.check(0, FRESH);
  assert.deepEqual(n.check(1 * S, LOCAL_DOWN), ['failed', 'down']);
  assert.equal(n.fired[0]?.reason, 'local-unreachable');
  assert.deepEqual(n.check(2 * S, FRESH), []);
  assert.deepEqual(n.recover(3 * S), ['recovered', 'up']);
  assert.deepEqual(n.fired[2], { event: 'recovered', from: 'failed', to: 'up', reason: 'recover', at: T0 + 3 * S, actor: 'operator' });
  assert.deepEqual(n.check(4 * S, FRESH), []);
});

test('a failed node that becomes the last one fires up (the answer changed), and down when the peer returns', () => {
  const n = new Node(policy({ failback: 'manual' }));
  n.check(0, LOCAL_DOWN);
  assert.deepEqual(n.check(1 * S, PEER_GONE), ['peer-lost', 'up']);
  assert.deepEqual(n.check(2 * S, FRESH), ['peer-back', 'down']);
  assert.equal(n.fired.at(-1)?.reason, 'awaiting-recover');
});

test('maintenance on and off, each once', () => {
  const n = new Node(policy());
  n.check(0, FRESH);
  assert.deepEqual(n.check(1 * S, MAINTENANCE), ['maintenance-on', 'down']);
  assert.deepEqual(n.check(2 * S, MAINTENANCE), []);
  assert.deepEqual(n.check(3 * S, FRESH), ['maintenance-off', 'up']);
  assert.equal(n.fired[2]?.reason, 'fresh');
});

test('a latch kept through maintenance fires no recovered or failed on the way in or out', () => {
  const n = new Node(policy({ failback: 'manual' }));
  n.check(0, LOCAL_DOWN);
  assert.deepEqual(n.check(1 * S, MAINTENANCE), ['maintenance-on']);
  assert.deepEqual(n.check(2 * S, FRESH), ['maintenance-off']);
});

test('an event not recorded (the state was not stored) fires again next time', () => {
  const n = new Node(policy());
  n.check(0, FRESH);
  const prev = n.state as FailoverState;
  const ev = evaluation(S, LOCAL_DOWN);
  const next = evaluate(prev, ev, n.policy).state;
  assert.deepEqual(
    eventsFor(prev, next, ev).map((e) => e.event),
    ['down'],
  );
  // Stored without withEventsSent: the condition still differs from the record.
  const again = evaluate(next, { ...ev, at: T0 + 2 * S }, n.policy).state;
  assert.deepEqual(
    eventsFor(next, again, ev).map((e) => e.event),
    ['down'],
  );
});
