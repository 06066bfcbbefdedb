/**
 * The agent-check answers, pure: every verdict maps to one line that names
 * both the health and the admin state HAProxy should hold.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { agentLine, parseMaintenanceState } from '../../../src/answers/agent';
import { REASONS, type Reason } from '../../../src/core/decide';

const UP: readonly Reason[] = ['fresh', 'peer-unreachable', 'caught-up', 'holding-up'];

describe('agentLine', () => {
  test('UP is "up ready": it also lifts a MAINT or DRAIN the agent set before', () => {
    for (const reason of UP) {
      assert.equal(agentLine({ verdict: 'UP', reason }), 'up ready\n');
      assert.equal(agentLine({ verdict: 'UP', reason }, 'drain'), 'up ready\n');
    }
  });

  test('maintenance is MAINT by default, DRAIN on request, without a health word', () => {
    assert.equal(agentLine({ verdict: 'DOWN', reason: 'maintenance' }), 'maint #maintenance\n');
    assert.equal(agentLine({ verdict: 'DOWN', reason: 'maintenance' }, 'maint'), 'maint #maintenance\n');
    assert.equal(agentLine({ verdict: 'DOWN', reason: 'maintenance' }, 'drain'), 'drain #maintenance\n');
  });

  test('any other DOWN is "down ready #reason"', () => {
    const reasons = REASONS.filter((r) => !UP.includes(r) && r !== 'maintenance');
    for (const reason of reasons) {
      assert.equal(agentLine({ verdict: 'DOWN', reason }), `down ready #${reason}\n`);
      assert.equal(agentLine({ verdict: 'DOWN', reason }, 'drain'), `down ready #${reason}\n`);
    }
  });

  test('every line is one line of words HAProxy knows, ended by a newline', () => {
    const known = new Set(['up', 'down', 'ready', 'drain', 'maint']);
    const all: Array<[Parameters<typeof agentLine>[0], 'maint' | 'drain']> = [];
    for (const verdict of ['UP', 'DOWN'] as const) {
      for (const reason of ['maintenance', 'fresh', 'error', 'catching-up'] as Reason[]) {
        for (const m of ['maint', 'drain'] as const) all.push([{ verdict, reason }, m]);
      }
    }
    for (const [d, m] of all) {
      const line = agentLine(d, m);
      assert.match(line, /^[^\r\n]+\n$/);
      const words = line
        .trimEnd()
        .split('#')[0]!
        .trim()
        .split(/[ \t,]+/);
      for (const w of words) assert.ok(known.has(w), `${JSON.stringify(w)} in ${JSON.stringify(line)}`);
      const description = line.trimEnd().split('#')[1];
      if (description !== undefined) assert.match(description, /^[a-z-]+$/);
    }
  });
});

describe('parseMaintenanceState', () => {
  test('maint or drain, case-insensitive; anything else is a usage error', () => {
    assert.equal(parseMaintenanceState('maint'), 'maint');
    assert.equal(parseMaintenanceState('DRAIN'), 'drain');
    assert.equal(parseMaintenanceState(' drain '), 'drain');
    for (const bad of ['', 'down', 'ready', 'maintenance', 'stopped']) {
      assert.throws(
        () => parseMaintenanceState(bad),
        (e: unknown) => (e as { code?: string }).code === 'USAGE',
      );
    }
  });
});
