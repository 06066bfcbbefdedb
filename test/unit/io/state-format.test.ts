import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freshState, type FailoverState } from '../../../src/core/failover-state';
import { decodeState, encodeState } from '../../../src/io/state-format';
import { isCheckError } from '../../../src/core/errors';

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

/** Every field set, none at its default. */
function richState(): FailoverState {
  return {
    state: 'maintenance',
    since: T0 + 1,
    evaluations: 7,
    verdict: 'DOWN',
    reason: 'maintenance',
    cause: { reason: 'maintenance', detail: 'maintenance file present' },
    beforeMaintenance: 'failed',
    restartSeen: true,
    latch: { at: T0 - 999, reason: 'restarted', evidence: 'server uptime 30 s < heartbeat age 600 s' },
    flaps: [T0 - 3_000, T0 - 2_000, T0 - 1_000],
    recovered: { at: T0 - 86_400_000, by: 'alice' },
    peer: { unreachableSince: T0 - 5_000, evaluations: 2, lost: true },
    sent: { verdict: 'down', latch: 'failed', peer: 'peer-lost', maintenance: 'maintenance-on' },
    hook: { event: 'peer-lost', command: '/usr/local/lib/mfc/hooks/read-only-off', exit: 'SIGKILL', at: T0 - 4_000, durationMs: 30_012 },
  };
}

function assertCorrupt(text: string, what: string, pattern?: RegExp): void {
  assert.throws(
    () => decodeState(text),
    (e: unknown) => isCheckError(e) && e.code === 'STATE_CORRUPT' && (pattern === undefined || pattern.test(e.message)),
    what,
  );
}

test('round trip: every field, and a fresh state', () => {
  for (const state of [richState(), freshState(T0)]) {
    assert.deepEqual(decodeState(encodeState(state, '127.0.0.1:3306 status_example.lastcheck')), {
      identity: '127.0.0.1:3306 status_example.lastcheck',
      state,
    });
  }
});

test('round trip: text the ini package would read back as something else', () => {
  const texts = [
    'C:\\data\\mysql',
    'a\\\\b',
    'a\\;b',
    'a\\#b',
    'ends in \\',
    'true',
    'false',
    'null',
    '"quoted"',
    "'single'",
    '"',
    'semi;colon # and hash',
    'key=value',
    '[not a section]',
    '  padded  ',
    'two\nlines\r\n',
    'ünïcödé ✓',
    '',
  ];
  for (const text of texts) {
    const state = { ...freshState(T0), cause: { reason: 'error', detail: text } };
    assert.equal(decodeState(encodeState(state, text)).identity, text, JSON.stringify(text));
    assert.equal(decodeState(encodeState(state, 'n')).state.cause.detail, text, JSON.stringify(text));
  }
});

test('the file reads as documented: a header, sections, plain values for plain text', () => {
  const text = encodeState(richState(), '127.0.0.1:3306 status_example.lastcheck');
  assert.match(text, /^; mysql-failover-check failover state/);
  assert.match(text, /do not edit it by hand: use `mysql-failover-check recover`/);
  for (const line of [
    '[state]',
    'state = maintenance',
    'since = 2024-05-01T12:00:00.001Z',
    'before_maintenance = failed',
    'evidence = server uptime 30 s < heartbeat age 600 s',
    'identity = 127.0.0.1:3306 status_example.lastcheck',
    'down_at = 2024-05-01T11:59:57.000Z, 2024-05-01T11:59:58.000Z, 2024-05-01T11:59:59.000Z',
    'exit = SIGKILL',
    'complete = yes',
  ]) {
    assert.ok(text.split('\n').includes(line), `missing line ${JSON.stringify(line)} in\n${text}`);
  }
  assert.ok(text.trimEnd().endsWith('[end]\ncomplete = yes'), 'the [end] section closes the file');
});

test('corrupt: every cut-short copy of the file is refused', () => {
  const text = encodeState(richState(), 'node');
  for (let k = 0; k < text.length - 1; k++) assertCorrupt(text.slice(0, k), `cut at ${k} of ${text.length}`);
  // Only the final newline missing: still the whole state.
  assert.deepEqual(decodeState(text.slice(0, -1)).state, richState());
});

test('corrupt: garbage and empty text', () => {
  assertCorrupt('', 'empty', /no \[file\] section/);
  assertCorrupt('\u0000\u0001\u0002binary\xff\xfe', 'binary');
  assertCorrupt('hello world\n', 'prose');
  assertCorrupt('[state]\nstate = up\n', 'a fragment');
});

test('corrupt: wrong types and values', () => {
  const good = encodeState(richState(), 'node');
  const cases: Array<[string, string, RegExp]> = [
    ['format = 1', 'format = 2', /format "2" is not 1/],
    ['state = maintenance', 'state = sleeping', /\[state\] state: "sleeping" is not one of/],
    ['since = 2024-05-01T12:00:00.001Z', 'since = yesterday', /\[state\] since: "yesterday" is not an ISO-8601 UTC time/],
    ['since = 2024-05-01T12:00:00.001Z', 'since = 2024-02-30T12:00:00.000Z', /not an ISO-8601 UTC time/],
    ['since = 2024-05-01T12:00:00.001Z', 'since = 2024-05-01T12:00:00Z', /not an ISO-8601 UTC time/],
    ['evaluations = 7', 'evaluations = -1', /\[state\] evaluations: "-1" is not a whole number/],
    ['evaluations = 7', 'evaluations = 1.5', /is not a whole number/],
    ['verdict = DOWN', 'verdict = MAYBE', /\[state\] verdict/],
    ['restart_seen = true', 'restart_seen = yes', /\[state\] restart_seen is not true or false/],
    ['lost = true', 'lost = 1', /\[peer\] lost is not true or false/],
    ['duration_ms = 30012', 'duration_ms = soon', /\[hook\] duration_ms/],
    ['peer = peer-lost', 'peer = peer-gone', /\[events\] peer/],
    ['before_maintenance = failed', 'before_maintenance =', /maintenance without before_maintenance/],
    ['complete = yes', 'complete = no', /\[end\] complete is not yes/],
    ['complete = yes', 'complete', /\[end\] complete is not text/],
    ['down_at = 2024-05-01T11:59:57.000Z', 'down_at = 2024-05-01T11:59:57.000Z soon', /\[flap\] down_at/],
  ];
  for (const [from, to, pattern] of cases) {
    assert.ok(good.includes(from), `fixture has ${from}`);
    assertCorrupt(good.replace(from, to), to, pattern);
  }
  const latched = encodeState({ ...freshState(T0), state: 'failed', latch: { at: T0, reason: 'flapping', evidence: 'x' } }, 'node');
  assertCorrupt(latched.replace(/^at = 2024-05-01T12:00:00.000Z$/m, 'at ='), 'failed without a latch', /state failed without a \[latch\]/);
  assertCorrupt(
    good.replace('command = /usr/local/lib/mfc/hooks/read-only-off', 'command = "\\q"'),
    'a broken quoted string',
    /\[hook\] command is not a valid quoted string/,
  );
});

test('times are whole milliseconds; anything else is refused when writing, not written wrong', () => {
  assert.throws(
    () => encodeState({ ...freshState(T0), since: T0 + 0.5 }, 'node'),
    (e: unknown) => isCheckError(e) && e.code === 'INTERNAL',
  );
  assert.throws(
    () => encodeState({ ...freshState(T0), since: Number.NaN }, 'node'),
    (e: unknown) => isCheckError(e) && e.code === 'INTERNAL',
  );
});
