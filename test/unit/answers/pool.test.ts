/** `mysql-failover-check pool` formatting (src/answers/pool.ts): the summary first, the nodes side by side, JSON with stable keys. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPoolRows, formatPoolText, poolJson, poolRows } from '../../../src/answers/pool';
import { frozenPeer, healthyNode as healthy, poolResult as result } from '../../support/pool-nodes';

describe('pool text', () => {
  test('the summary leads; the nodes side by side; the details below', () => {
    const text = formatPoolText(result(healthy('local'), healthy('peer')));
    const lines = text.split('\n');
    assert.equal(lines[0], 'pool: both nodes would take traffic');
    assert.equal(lines[1], '');
    assert.match(lines[2] ?? '', /^ {14}local +peer$/);
    assert.ok(
      lines.some((l) => /^address +10\.0\.0\.1:3306 +10\.0\.0\.2:3306$/.test(l)),
      text,
    );
    assert.ok(
      lines.some((l) => /^reachable +yes +yes$/.test(l)),
      text,
    );
    assert.ok(
      lines.some((l) => /^replication   default: IO Yes, SQL Yes, lag 0 s +default: IO Yes, SQL Yes, lag 0 s$/.test(l)),
      text,
    );
    assert.ok(
      lines.some((l) => /^ {16}from 10\.0\.0\.9:3306 \(server_id 2\) +from 10\.0\.0\.9:3306 \(server_id 1\)$/.test(l)),
      text,
    );
    assert.ok(
      lines.some((l) =>
        /^failover +up since 2024-05-01T12:00:00Z \(state file\) +up since 2024-05-01T12:00:00Z \(heartbeat row\)$/.test(l),
      ),
      text,
    );
    assert.ok(
      lines.some((l) => /^verdict +UP \(fresh\) +UP \(fresh\)$/.test(l)),
      text,
    );
    assert.ok(lines.includes('local  UP (fresh): heartbeat age 3 s <= 20 s'), text);
    for (const l of lines) assert.doesNotMatch(l, /\s$/, 'no trailing blanks');
  });

  test('a frozen peer: its row says it did not answer in time; flags come right under the summary', () => {
    const text = formatPoolText(
      result(healthy('local'), frozenPeer(), '--peer 10.0.0.2:3306 is not the source of any replication channel'),
    );
    const lines = text.split('\n');
    assert.match(
      lines[0] ?? '',
      /^pool: only the local node \(10\.0\.0\.1:3306\) would take traffic: no redundancy \(the peer: DOWN local-unreachable\)$/,
    );
    assert.equal(lines[1], '  !! peer-not-source: --peer 10.0.0.2:3306 is not the source of any replication channel');
    assert.ok(
      lines.some((l) => /^reachable +yes +no answer within 3 s$/.test(l)),
      text,
    );
    assert.ok(
      lines.some((l) => /^server +10\.11\.6-MariaDB, server_id 1 +-$/.test(l)),
      text,
    );
    assert.ok(
      lines.some((l) => /^failover +up since .* \(state file\) +unknown$/.test(l)),
      text,
    );
    assert.ok(lines.includes('peer   DOWN (local-unreachable): peer: connect: no answer within the deadline'), text);
    assert.ok(lines.includes('peer   failover state unknown: its heartbeat row could not be read'), text);
  });

  test('rows are data a caller may extend before printing', () => {
    const rows = poolRows(result(healthy('local'), healthy('peer')));
    assert.deepEqual(rows[0], { label: 'address', local: '10.0.0.1:3306', peer: '10.0.0.2:3306' });
    const text = formatPoolRows([...rows, { label: 'snmp', local: '100', peer: '100' }]);
    assert.match(text, /^snmp +100 +100$/m);
  });
});

describe('pool JSON', () => {
  test('stable keys: summary and nodes, local first, each with the same keys', () => {
    const j = poolJson(result(healthy('local'), frozenPeer())) as {
      summary: Record<string, unknown>;
      nodes: Array<Record<string, unknown>>;
    };
    assert.deepEqual(Object.keys(j), ['summary', 'nodes', 'table', 'elapsedMs']);
    assert.deepEqual(Object.keys(j.summary), ['pool', 'up', 'text', 'flags']);
    const keys = [
      'role',
      'address',
      'reachable',
      'connection',
      'error',
      'version',
      'serverId',
      'readOnly',
      'heartbeat',
      'channels',
      'replicationError',
      'state',
      'verdict',
      'reason',
      'detail',
      'takesTraffic',
      'raw',
      'wouldBe',
      'warnings',
      'notes',
    ];
    for (const n of j.nodes) assert.deepEqual(Object.keys(n), keys);
    const [local, peer] = j.nodes as [Record<string, unknown>, Record<string, unknown>];
    assert.equal(local['role'], 'local');
    assert.equal(local['reachable'], true);
    assert.deepEqual(local['heartbeat'], { keyed: true, node: '1', state: 'ok', age: 3 });
    assert.deepEqual(local['state'], { name: 'up', since: '2024-05-01T12:00:00.000Z', source: 'state-file', why: null });
    assert.equal((local['channels'] as unknown[]).length, 1);
    assert.equal(peer['role'], 'peer');
    assert.equal(peer['reachable'], false);
    assert.equal(peer['connection'], 'no-answer');
    assert.equal(peer['verdict'], 'DOWN');
    assert.equal(peer['takesTraffic'], false);
    assert.equal(peer['serverId'], null);
    assert.deepEqual(peer['channels'], []);
    assert.deepEqual((peer['state'] as Record<string, unknown>)['name'], 'unknown');
    assert.equal(j.summary['pool'], 'one');
  });
});
