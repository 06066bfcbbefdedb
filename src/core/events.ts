/**
 * The events hooks act on (docs/design.md, "Acting on transitions"): fired
 * once per change of a condition, never once per evaluation. The state
 * remembers the last event sent per category, so an evaluation fires only
 * what differs from it, and a restart into the same state fires nothing.
 * Pure: the caller runs the hooks and stores withEventsSent(next).
 */
import type { Actor, FailoverState, LastEvents, StateName } from './failover-state';

export type EventCategory = keyof LastEvents;
export type EventName = NonNullable<LastEvents[EventCategory]>;

export const EVENT_NAMES: readonly EventName[] = [
  'up',
  'down',
  'failed',
  'recovered',
  'peer-lost',
  'peer-back',
  'maintenance-on',
  'maintenance-off',
];

export interface FailoverEvent {
  event: EventName;
  /** The state before this evaluation; 'none' when there was none. */
  from: StateName | 'none';
  to: StateName;
  reason: string;
  at: number;
  actor: Actor;
}

/**
 * Category order: a cause before the verdict it explains (failed, then
 * down; recovered, then up; maintenance-on, then down).
 */
const CATEGORIES: readonly EventCategory[] = ['maintenance', 'latch', 'peer', 'verdict'];

/** The default condition of each category: a brand new state records it silently. */
const DEFAULTS: { readonly [C in EventCategory]-?: NonNullable<LastEvents[C]> } = {
  verdict: 'up',
  latch: 'recovered',
  peer: 'peer-back',
  maintenance: 'maintenance-off',
};

/** The condition of each category in a state, as the event that announces it. */
export function conditionsOf(s: FailoverState): { [C in EventCategory]-?: NonNullable<LastEvents[C]> } {
  return {
    verdict: s.verdict === 'UP' ? 'up' : 'down',
    latch: s.latch === undefined ? 'recovered' : 'failed',
    peer: s.peer.lost ? 'peer-lost' : 'peer-back',
    maintenance: s.state === 'maintenance' ? 'maintenance-on' : 'maintenance-off',
  };
}

function reasonOf(event: EventName, s: FailoverState): string {
  switch (event) {
    case 'failed':
      return s.latch?.reason ?? s.reason;
    case 'recovered':
      return 'recover';
    case 'peer-lost':
      return 'peer-unreachable';
    case 'peer-back':
      return 'peer-reachable';
    case 'maintenance-on':
      return 'maintenance';
    default:
      return s.reason;
  }
}

/**
 * The events to fire for the change from `prev` to `next`. A category fires
 * when next's condition differs from the last event sent for it; with
 * nothing sent yet, only a non-default condition (down, failed, peer-lost,
 * maintenance-on) fires, so a first start on a node already down or alone
 * still tells the hooks. `when` is the evaluation (or operator action) that
 * produced `next`.
 */
export function eventsFor(prev: FailoverState | undefined, next: FailoverState, when: { at: number; actor: Actor }): FailoverEvent[] {
  const now = conditionsOf(next);
  const events: FailoverEvent[] = [];
  for (const c of CATEGORIES) {
    const sent = next.sent[c];
    const current = now[c];
    if (sent === undefined ? current === DEFAULTS[c] : current === sent) continue;
    events.push({
      event: current,
      from: prev === undefined ? 'none' : prev.state,
      to: next.state,
      reason: reasonOf(current, next),
      at: when.at,
      actor: when.actor,
    });
  }
  return events;
}

/** `s` with every category's current condition recorded as sent: store this after firing eventsFor(). */
export function withEventsSent(s: FailoverState): FailoverState {
  return { ...s, sent: conditionsOf(s) };
}
