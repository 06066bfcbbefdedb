/** `mysql-failover-check status` formatting (src/answers/status.ts): text and JSON, pure. */
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { channel } from '../../support/channels';
import { describeEndpoint, fixHint, formatStatusText, statusJson, type StatusInput } from '../../../src/answers/status';
import { decide, type Facts } from '../../../src/core/decide';
import type { CheckSettings } from '../../../src/config/settings';

describe('status formatting', () => {
  const settings: CheckSettings = {
    local: { host: '127.0.0.1', port: 3306, user: 'm', password: 'secret' },
    peer: { host: 'db2', port: 3306, user: 'm', password: 'secret' },
    peerAuto: undefined,
    failover: undefined,
    table: { database: 'mysql_failover', table: 'heartbeat' },
    node: undefined,
    thresholds: { fresh: 20, maxLag: 1 },
    timeoutMs: 3000,
    maintenanceFile: undefined,
    logFile: undefined,
    secrets: ['secret'],
  };
  const facts: Facts = {
    maintenance: false,
    local: {
      ok: true,
      heartbeat: { state: 'ok', age: 40 },
      channels: [channel({ sourceHost: 'db2' })],
    },
    peer: { configured: true, ok: true },
  };
  const decision = decide(facts, settings.thresholds);
  const input: StatusInput = {
    decision,
    raw: decision,
    facts,
    heartbeat: { now: 1, version: '10.11.6-MariaDB', serverId: 7, keyed: true, node: '7', heartbeat: { state: 'ok', age: 40 } },
    stamped: false,
    stampRequested: false,
    elapsedMs: 5,
    timedOut: false,
  };

  test('endpoints', () => {
    assert.equal(describeEndpoint({ socket: '/run/mysqld/mysqld.sock' }), 'socket /run/mysqld/mysqld.sock');
    assert.equal(describeEndpoint({ host: 'db1', port: 3307 }), 'db1:3307');
    assert.equal(describeEndpoint({ host: '::1', port: 3306 }), '[::1]:3306');
  });

  test('text: facts, the decision path, the verdict, whether it stamped', () => {
    const text = formatStatusText(input, settings);
    assert.equal(
      text,
      [
        'local server  127.0.0.1:3306',
        '              10.11.6-MariaDB, server_id 7',
        "heartbeat     mysql_failover.heartbeat (keyed, row of node '7'): heartbeat age 40 s (fresh up to 20 s)",
        'peer          db2:3306: reachable',
        'replication   default channel: IO Yes, SQL Yes, lag 0 s',
        'decision path',
        '  local server reachable, heartbeat age 40 s',
        '  peer reachable',
        '  heartbeat stale (heartbeat age 40 s, fresh is 20 s): checking replication',
        '  default channel: IO Yes, SQL Yes, lag 0 s',
        '  => UP (caught-up)',
        'verdict       UP (caught-up): replication caught up (lag 0 s <= 1 s)',
        'heartbeat not stamped: the stamp was tried and rolled back (--stamp writes it, as the load balancer does)',
        '',
      ].join('\n'),
    );
    assert.doesNotMatch(text, /secret/);
  });

  test('a refusing peer: alive, said so, with its error; the warning is on its own line', () => {
    const refused: Facts = {
      ...facts,
      peer: {
        configured: true,
        ok: false,
        reachable: true,
        error: { code: 'AUTH_FAILED', message: 'peer: connect: ER_ACCESS_DENIED_ERROR (1045): Access denied', errno: 1045 },
      },
    };
    const text = formatStatusText(
      { ...input, facts: refused, decision: decide(refused, settings.thresholds), raw: decide(refused, settings.thresholds) },
      settings,
    );
    assert.match(
      text,
      /^peer {10}db2:3306: refused: peer: connect: ER_ACCESS_DENIED_ERROR \(1045\).*\(alive, so the catch-up check applies\)$/m,
    );
    assert.match(text, /^warning {7}peer refused: .*1045/m);
    assert.match(text, /^verdict {7}UP \(caught-up\)/m);
    const j = statusJson(
      { ...input, facts: refused, decision: decide(refused, settings.thresholds), raw: decide(refused, settings.thresholds) },
      settings,
    );
    assert.equal((j['peer'] as Record<string, unknown>)['reachable'], true);
  });

  test('a DOWN whose fix is known says it, naming the account as the server sees it', () => {
    const denied: Facts = {
      ...facts,
      local: { ok: false, error: { code: 'PRIVILEGE', message: 'local server: query: ER_TABLEACCESS_DENIED_ERROR (1142)', errno: 1142 } },
    };
    const text = formatStatusText(
      { ...input, facts: denied, decision: decide(denied, settings.thresholds), raw: decide(denied, settings.thresholds) },
      settings,
    );
    assert.match(text, /^verdict {7}DOWN \(local-privilege-missing\)/m);
    assert.match(text, /^fix {11}run `mysql-failover-check setup --monitor-user m@ADDRESS_OF_THIS_HOST`/m);
    const socketSettings: CheckSettings = { ...settings, local: { socket: '/run/mysqld/mysqld.sock', user: 'm' } };
    assert.match(
      formatStatusText(
        { ...input, facts: denied, decision: decide(denied, settings.thresholds), raw: decide(denied, settings.thresholds) },
        socketSettings,
      ),
      /--monitor-user m@localhost/,
    );
    assert.equal(fixHint('fresh', settings), undefined);
  });

  test('json: the same, with no password anywhere', () => {
    const j = statusJson(input, settings);
    assert.equal(j['verdict'], 'UP');
    assert.equal(j['reason'], 'caught-up');
    assert.equal(j['stamped'], false);
    assert.deepEqual(j['peer'], { configured: true, endpoint: 'db2:3306', ok: true, reachable: true });
    assert.deepEqual(j['warnings'], []);
    assert.equal((j['local'] as Record<string, unknown>)['serverId'], 7);
    assert.doesNotMatch(JSON.stringify(j), /secret/);
  });
});
