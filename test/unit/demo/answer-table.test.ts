/**
 * The demo's table of answers, edge by edge: each executable's output read
 * back (built with the answer modules' own formatters, so a change of wording
 * there fails here), unreadable output shown as `?`, the table's layout, and
 * the comparison with a step's story.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  agreedVerdict,
  formatAnswerTable,
  mismatches,
  readAgent,
  readAnswers,
  readHttp,
  readSnmp,
  shownReason,
  type NodeAnswers,
  type RawAnswers,
} from '../../../src/demo/answer-table';
import { rejectResponse, verdictResponse } from '../../../src/answers/http';
import { agentLine } from '../../../src/answers/agent';
import type { Reason, Verdict } from '../../../src/core/decide';

const ok = (stdout: string) => ({ stdout });

function raw(verdict: Verdict, reason: Reason): RawAnswers {
  return {
    snmp: ok(verdict === 'UP' ? '100\n' : '200\n'),
    http: ok(verdictResponse({ verdict, reason }, 'GET')),
    agent: ok(agentLine({ verdict, reason })),
  };
}

describe('reading each executable', () => {
  test('SNMP: 100 is UP, 200 is DOWN, anything else or a failed run is ?', () => {
    assert.deepEqual(readSnmp(ok('100\n')), { shown: '100', verdict: 'UP', reason: undefined });
    assert.deepEqual(readSnmp(ok('200\n')), { shown: '200', verdict: 'DOWN', reason: undefined });
    for (const bad of ['', '0\n', '100\n100\n', 'UP\n']) assert.equal(readSnmp(ok(bad)).shown, '?', JSON.stringify(bad));
    assert.equal(readSnmp({ stdout: '100\n', failure: 'was killed by SIGKILL' }).verdict, undefined);
  });

  test('HTTP: the status decides the verdict, the body names the reason', () => {
    assert.deepEqual(readHttp(ok(verdictResponse({ verdict: 'UP', reason: 'fresh' }, 'GET'))), {
      shown: '200',
      verdict: 'UP',
      reason: 'fresh',
    });
    assert.deepEqual(readHttp(ok(verdictResponse({ verdict: 'DOWN', reason: 'catching-up' }, 'GET'))), {
      shown: '503',
      verdict: 'DOWN',
      reason: 'catching-up',
    });
  });

  test('HTTP: a 400, a torn response or a failed run is ?; a body that contradicts the status or names no known reason gives no reason', () => {
    assert.equal(readHttp(ok(rejectResponse({ status: 400, problem: 'empty request' }))).shown, '?');
    assert.equal(readHttp(ok('HTTP/1.1 20')).shown, '?');
    assert.equal(
      readHttp({ stdout: verdictResponse({ verdict: 'UP', reason: 'fresh' }, 'GET'), failure: 'exited with status 1' }).shown,
      '?',
    );
    const contradicting = verdictResponse({ verdict: 'UP', reason: 'fresh' }, 'GET').replace('UP fresh', 'DOWN fresh');
    assert.deepEqual(readHttp(ok(contradicting)), { shown: '200', verdict: 'UP', reason: undefined });
    const unknown = verdictResponse({ verdict: 'UP', reason: 'fresh' }, 'GET').replace('UP fresh', 'UP sunny');
    assert.equal(readHttp(ok(unknown)).reason, undefined);
    assert.equal(readHttp(ok(verdictResponse({ verdict: 'UP', reason: 'fresh' }, 'HEAD'))).reason, undefined);
  });

  test('agent: up, down with its reason, maint and drain; anything else is ?', () => {
    assert.deepEqual(readAgent(ok(agentLine({ verdict: 'UP', reason: 'fresh' }))), { shown: 'up ready', verdict: 'UP', reason: undefined });
    assert.deepEqual(readAgent(ok(agentLine({ verdict: 'DOWN', reason: 'local-unreachable' }))), {
      shown: 'down ready #local-unreachable',
      verdict: 'DOWN',
      reason: 'local-unreachable',
    });
    assert.deepEqual(readAgent(ok(agentLine({ verdict: 'DOWN', reason: 'maintenance' }))), {
      shown: 'maint #maintenance',
      verdict: 'DOWN',
      reason: 'maintenance',
    });
    assert.equal(readAgent(ok(agentLine({ verdict: 'DOWN', reason: 'maintenance' }, 'drain'))).verdict, 'DOWN');
    for (const bad of ['', 'ready\n', 'up ready\nup ready\n', '75%\n']) assert.equal(readAgent(ok(bad)).shown, '?', JSON.stringify(bad));
  });
});

describe('a node and the table', () => {
  test('the verdict counts only when all three agree', () => {
    assert.equal(agreedVerdict(readAnswers('a', raw('UP', 'fresh'))), 'UP');
    assert.equal(agreedVerdict(readAnswers('a', raw('DOWN', 'catching-up'))), 'DOWN');
    const mixed = readAnswers('a', { ...raw('UP', 'fresh'), snmp: ok('200\n') });
    assert.equal(agreedVerdict(mixed), undefined);
    assert.equal(agreedVerdict(readAnswers('a', { ...raw('UP', 'fresh'), agent: ok('') })), undefined);
  });

  test("the reason shown is the HTTP body's, with the agent's beside it when they differ", () => {
    assert.equal(shownReason(readAnswers('a', raw('UP', 'caught-up'))), 'caught-up');
    assert.equal(shownReason(readAnswers('a', raw('DOWN', 'catching-up'))), 'catching-up');
    const differ = readAnswers('a', { ...raw('DOWN', 'error'), agent: ok(agentLine({ verdict: 'DOWN', reason: 'local-unreachable' })) });
    assert.equal(shownReason(differ), 'error/local-unreachable');
    assert.equal(shownReason(readAnswers('a', { ...raw('DOWN', 'maintenance'), http: ok('') })), 'maintenance');
    assert.equal(shownReason(readAnswers('a', { ...raw('UP', 'fresh'), http: ok('') })), '?');
  });

  test('the table: a header, one row per node, columns two spaces apart, the agent line last', () => {
    const rows = [readAnswers('a', raw('DOWN', 'local-unreachable')), readAnswers('b', raw('UP', 'peer-unreachable'))];
    assert.equal(
      formatAnswerTable(rows),
      [
        '    node  SNMP  HTTP  reason             agent',
        '    a     200   503   local-unreachable  down ready #local-unreachable',
        '    b     100   200   peer-unreachable   up ready',
        '',
      ].join('\n'),
    );
  });
});

describe("the step's story", () => {
  const rows = (a: NodeAnswers, b: NodeAnswers) => [a, b];
  const up = { verdict: 'UP', reasons: ['fresh', 'caught-up'] } as const;

  test('answers as told: nothing to say', () => {
    assert.deepEqual(
      mismatches(rows(readAnswers('a', raw('UP', 'caught-up')), readAnswers('b', raw('UP', 'fresh'))), { a: up, b: up }),
      [],
    );
  });

  test('every executable with the wrong verdict is named', () => {
    const r = rows(readAnswers('a', raw('DOWN', 'local-unreachable')), readAnswers('b', raw('UP', 'fresh')));
    assert.deepEqual(mismatches(r, { a: up, b: up }), [
      'node a SNMP answered 200, expected UP (fresh or caught-up)',
      'node a HTTP answered 503, expected UP (fresh or caught-up)',
      'node a agent answered down ready #local-unreachable, expected UP (fresh or caught-up)',
    ]);
  });

  test('the right verdict for another reason is a difference too; an unreadable answer is one', () => {
    const r = rows(readAnswers('a', raw('DOWN', 'replication-stopped')), readAnswers('b', { ...raw('UP', 'fresh'), snmp: ok('') }));
    assert.deepEqual(mismatches(r, { a: { verdict: 'DOWN', reasons: ['catching-up'] }, b: up }), [
      'node a HTTP answered 503, expected DOWN (catching-up)',
      'node a agent answered down ready #replication-stopped, expected DOWN (catching-up)',
      'node b SNMP answered ?, expected UP (fresh or caught-up)',
    ]);
  });

  test('a node the step expects nothing of is not judged', () => {
    const r = rows(readAnswers('a', raw('DOWN', 'error')), readAnswers('b', raw('UP', 'fresh')));
    assert.deepEqual(mismatches(r, { b: up }), []);
  });
});
