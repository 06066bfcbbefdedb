/** `mysql-failover-check status` formatting (src/answers/status.ts): text and JSON, pure. */
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { channel } from '../../support/channels';
import { describeEndpoint, formatStatusText, statusJson, type StatusInput } from '../../../src/answers/status';
import { decide, type Facts } from '../../../src/core/decide';
import type { CheckSettings } from '../../../src/config/settings';

describe('status formatting', () => {
  const settings: CheckSettings = {
    local: { host: '127.0.0.1', port: 3306, user: 'm', password: 'secret' },
    peer: { host: 'db2', port: 3306, user: 'm', password: 'secret' },
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
  const input: StatusInput = {
    decision: decide(facts, settings.thresholds),
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

  test('json: the same, with no password anywhere', () => {
    const j = statusJson(input, settings);
    assert.equal(j['verdict'], 'UP');
    assert.equal(j['reason'], 'caught-up');
    assert.equal(j['stamped'], false);
    assert.deepEqual(j['peer'], { configured: true, endpoint: 'db2:3306', ok: true });
    assert.equal((j['local'] as Record<string, unknown>)['serverId'], 7);
    assert.doesNotMatch(JSON.stringify(j), /secret/);
  });
});
