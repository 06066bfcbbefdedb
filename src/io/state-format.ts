/**
 * The failover state file's text (docs/failover-state.md has an example):
 * INI through the `ini` package, so an operator can read it. Pure: text in,
 * state out, and back. Reading is strict: a file that is not a complete,
 * valid state is STATE_CORRUPT, never half used, because a lost latch must
 * not fail back on its own.
 */
import * as ini from 'ini';
import type { Verdict } from '../core/decide';
import { CheckError } from '../core/errors';
import { STATE_NAMES, type FailoverState, type HookRun, type LastEvents, type Latch } from '../core/failover-state';
import { isoUtc } from '../core/utc-time';

export const STATE_FORMAT_VERSION = 1;

const HEADER =
  '; mysql-failover-check failover state of one node (docs/failover-state.md).\n' +
  '; Written by the check; do not edit it by hand: use `mysql-failover-check recover`.\n' +
  '; Times are UTC, to the millisecond. A file without its [end] section was cut short.\n';

export interface StoredFile {
  /** Which node the state belongs to (e.g. the local endpoint and heartbeat table). */
  identity: string;
  state: FailoverState;
}

export function encodeState(state: FailoverState, identity: string): string {
  const time = (ms: number | undefined): string => (ms === undefined ? '' : isoTime(ms));
  const doc = {
    file: { format: String(STATE_FORMAT_VERSION) },
    node: { identity: text(identity) },
    state: {
      state: state.state,
      since: time(state.since),
      evaluations: String(state.evaluations),
      verdict: state.verdict,
      reason: text(state.reason),
      cause_reason: text(state.cause.reason),
      cause_detail: text(state.cause.detail),
      before_maintenance: state.beforeMaintenance ?? '',
      restart_seen: state.restartSeen,
    },
    latch: {
      at: time(state.latch?.at),
      reason: text(state.latch?.reason ?? ''),
      evidence: text(state.latch?.evidence ?? ''),
    },
    flap: { down_at: state.flaps.map(isoTime).join(', ') },
    recover: { at: time(state.recovered?.at), by: text(state.recovered?.by ?? '') },
    peer: {
      unreachable_since: time(state.peer.unreachableSince),
      evaluations: String(state.peer.evaluations),
      lost: state.peer.lost,
    },
    events: {
      verdict: state.sent.verdict ?? '',
      latch: state.sent.latch ?? '',
      peer: state.sent.peer ?? '',
      maintenance: state.sent.maintenance ?? '',
    },
    hook: {
      event: text(state.hook?.event ?? ''),
      command: text(state.hook?.command ?? ''),
      exit: text(state.hook?.exit ?? ''),
      at: time(state.hook?.at),
      duration_ms: state.hook === undefined ? '' : String(state.hook.durationMs),
    },
    end: { complete: 'yes' },
  };
  return HEADER + ini.encode(doc, { whitespace: true });
}

/** Parses a state file's text; STATE_CORRUPT when it is not a complete, valid state. */
export function decodeState(content: string): StoredFile {
  const doc: Record<string, unknown> = ini.decode(content);
  const r = new Reader(doc);
  const format = r.string('file', 'format');
  if (format !== String(STATE_FORMAT_VERSION)) throw corrupt(`[file] format ${JSON.stringify(format)} is not ${STATE_FORMAT_VERSION}`);
  // A string, not true: ini reads a bare `complete` (the line cut short) as true.
  if (r.string('end', 'complete') !== 'yes') throw corrupt('[end] complete is not yes');

  const state = r.oneOf('state', 'state', STATE_NAMES);
  const beforeMaintenance = r.optional('state', 'before_maintenance', () => r.oneOf('state', 'before_maintenance', STATE_NAMES));
  const latchAt = r.optionalTime('latch', 'at');
  const latch: Latch | undefined =
    latchAt === undefined ? undefined : { at: latchAt, reason: r.text('latch', 'reason'), evidence: r.text('latch', 'evidence') };
  if (state === 'failed' && latch === undefined) throw corrupt('state failed without a [latch]');
  if (state === 'maintenance' && beforeMaintenance === undefined) throw corrupt('state maintenance without before_maintenance');
  const recoverAt = r.optionalTime('recover', 'at');
  const hookAt = r.optionalTime('hook', 'at');
  const hook: HookRun | undefined =
    hookAt === undefined
      ? undefined
      : {
          event: r.text('hook', 'event'),
          command: r.text('hook', 'command'),
          exit: r.text('hook', 'exit'),
          at: hookAt,
          durationMs: r.integer('hook', 'duration_ms'),
        };
  const downAt = r.string('flap', 'down_at');
  const flaps = downAt === '' ? [] : downAt.split(',').map((t) => parseTime(t.trim(), '[flap] down_at'));
  const sent: LastEvents = {
    verdict: r.optional('events', 'verdict', () => r.oneOf('events', 'verdict', ['up', 'down'] as const)),
    latch: r.optional('events', 'latch', () => r.oneOf('events', 'latch', ['failed', 'recovered'] as const)),
    peer: r.optional('events', 'peer', () => r.oneOf('events', 'peer', ['peer-lost', 'peer-back'] as const)),
    maintenance: r.optional('events', 'maintenance', () =>
      r.oneOf('events', 'maintenance', ['maintenance-on', 'maintenance-off'] as const),
    ),
  };
  for (const key of Object.keys(sent) as (keyof LastEvents)[]) if (sent[key] === undefined) delete sent[key];

  return {
    identity: r.text('node', 'identity'),
    state: {
      state,
      since: r.time('state', 'since'),
      evaluations: r.integer('state', 'evaluations'),
      verdict: r.oneOf('state', 'verdict', ['UP', 'DOWN'] as const satisfies readonly Verdict[]),
      reason: r.text('state', 'reason'),
      cause: { reason: r.text('state', 'cause_reason'), detail: r.text('state', 'cause_detail') },
      beforeMaintenance,
      restartSeen: r.bool('state', 'restart_seen'),
      latch,
      flaps,
      recovered: recoverAt === undefined ? undefined : { at: recoverAt, by: r.text('recover', 'by') },
      peer: {
        unreachableSince: r.optionalTime('peer', 'unreachable_since'),
        evaluations: r.integer('peer', 'evaluations'),
        lost: r.bool('peer', 'lost'),
      },
      sent,
      hook,
    },
  };
}

/**
 * A text value as written: the `ini` package reads `\\`, `\;`, `\#` and the
 * words true/false/null back as something else, so such a value (and one
 * that already looks JSON-quoted) is stored as a JSON string literal, which
 * it reads back exactly. Everything else is stored as is, for people.
 */
function text(value: string): string {
  const quoted = value.length >= 2 && value.startsWith('"') && value.endsWith('"');
  if (!quoted && !['true', 'false', 'null'].includes(value) && ini.unsafe(ini.safe(value)) === value) return value;
  return JSON.stringify(value);
}

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Whole milliseconds as ISO-8601 UTC, which parses back exactly. */
function isoTime(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > 253402300799999) {
    throw new CheckError('INTERNAL', `failover state: time ${ms} is not a whole millisecond between 1970 and 9999`);
  }
  return isoUtc(ms);
}

function parseTime(value: string, where: string): number {
  const ms = ISO_MS.test(value) ? Date.parse(value) : NaN;
  // Date.parse accepts 2024-02-30; the round trip does not.
  if (Number.isNaN(ms) || isoUtc(ms) !== value) {
    throw corrupt(`${where}: ${JSON.stringify(value)} is not an ISO-8601 UTC time`);
  }
  return ms;
}

function corrupt(message: string): CheckError {
  return new CheckError('STATE_CORRUPT', message);
}

class Reader {
  constructor(private readonly doc: Record<string, unknown>) {}

  private raw(section: string, key: string): unknown {
    const s = this.doc[section];
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw corrupt(`no [${section}] section`);
    const v = (s as Record<string, unknown>)[key];
    if (v === undefined) throw corrupt(`[${section}] has no ${key}`);
    return v;
  }

  string(section: string, key: string): string {
    const v = this.raw(section, key);
    if (typeof v !== 'string') throw corrupt(`[${section}] ${key} is not text`);
    return v;
  }

  /** The inverse of text(). */
  text(section: string, key: string): string {
    const v = this.string(section, key);
    if (!(v.length >= 2 && v.startsWith('"') && v.endsWith('"'))) return v;
    try {
      const parsed: unknown = JSON.parse(v);
      if (typeof parsed === 'string') return parsed;
    } catch {
      /* reported below */
    }
    throw corrupt(`[${section}] ${key} is not a valid quoted string`);
  }

  bool(section: string, key: string): boolean {
    const v = this.raw(section, key);
    if (typeof v !== 'boolean') throw corrupt(`[${section}] ${key} is not true or false`);
    return v;
  }

  integer(section: string, key: string): number {
    const v = this.string(section, key);
    const n = /^\d{1,15}$/.test(v) ? Number(v) : NaN;
    if (Number.isNaN(n)) throw corrupt(`[${section}] ${key}: ${JSON.stringify(v)} is not a whole number`);
    return n;
  }

  time(section: string, key: string): number {
    return parseTime(this.string(section, key), `[${section}] ${key}`);
  }

  optionalTime(section: string, key: string): number | undefined {
    return this.optional(section, key, () => this.time(section, key));
  }

  oneOf<T extends string>(section: string, key: string, allowed: readonly T[]): T {
    const v = this.string(section, key);
    const found = allowed.find((a) => a === v);
    if (found === undefined) throw corrupt(`[${section}] ${key}: ${JSON.stringify(v)} is not one of ${allowed.join(', ')}`);
    return found;
  }

  /** An empty value means "none"; otherwise `read` must accept it. */
  optional<T>(section: string, key: string, read: () => T): T | undefined {
    return this.string(section, key) === '' ? undefined : read();
  }
}
