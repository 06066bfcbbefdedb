/** `check_mysql_failover --pool` (src/answers/nagios-pool.ts), pure: the states, the summary, the perfdata per node. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePool } from '../../../src/answers/nagios-pool';
import { formatOutput, type PluginThresholds } from '../../../src/answers/nagios';
import { parseRange } from '../../../src/answers/range';
import { channel } from '../../support/channels';
import { frozenPeer, healthyNode, poolResult } from '../../support/pool-nodes';

function thresholds(over: Partial<Record<'w' | 'c' | 'hw' | 'hc', string>> = {}): PluginThresholds {
  return {
    lagWarning: over.w === undefined ? undefined : parseRange(over.w),
    lagCritical: over.c === undefined ? undefined : parseRange(over.c),
    heartbeatWarning: over.hw === undefined ? undefined : parseRange(over.hw),
    heartbeatCritical: over.hc === undefined ? undefined : parseRange(over.hc),
    timeoutState: 'CRITICAL',
    timeoutSeconds: 10,
  };
}

const stopped = [channel({ ioRunning: 'No', sqlRunning: 'No', lag: null, sourceServerId: 1 })];

describe('check_mysql_failover --pool', () => {
  test('OK: both would take traffic; perfdata per node, then nodes_up and time', () => {
    const r = evaluatePool(poolResult(healthyNode('local'), healthyNode('peer')), thresholds({ w: '5', c: '30' }));
    assert.equal(r.state, 'OK');
    assert.equal(r.summary, 'both nodes would take traffic (local UP fresh, peer UP fresh)');
    assert.equal(
      formatOutput(r, false),
      "MYSQL FAILOVER OK - both nodes would take traffic (local UP fresh, peer UP fresh) | 'local_lag'=0s;5;30;0 " +
        "'local_heartbeat_age'=3s 'local_reachable'=1;;;0;1 'peer_lag'=0s;5;30;0 'peer_heartbeat_age'=3s 'peer_reachable'=1;;;0;1 " +
        "'nodes_up'=2;;;0;2 'time'=2.95s;;;0\n",
    );
  });

  test('WARNING: only one would take traffic; the one that did not answer is reachable 0 and its figures unknown (U), never 0', () => {
    const r = evaluatePool(poolResult(healthyNode('local'), frozenPeer()), thresholds());
    assert.equal(r.state, 'WARNING');
    assert.match(r.summary, /^only the local node \(10\.0\.0\.1:3306\) would take traffic: no redundancy/);
    const out = formatOutput(r, true);
    assert.match(out, /'peer_lag'=U;;;0 'peer_heartbeat_age'=U 'peer_reachable'=0;;;0;1 'nodes_up'=1;;;0;2/);
    assert.match(out, /\npeer: 10\.0\.0\.2:3306, no-answer\n/);
    assert.match(out, /\npeer {3}DOWN \(local-unreachable\): peer: connect: no answer within the deadline\n/);
  });

  test('CRITICAL: replication stopped on a node, even with both still taking traffic (fresh heartbeats)', () => {
    const r = evaluatePool(poolResult(healthyNode('local'), healthyNode('peer', {}, stopped)), thresholds());
    assert.equal(r.state, 'CRITICAL');
    assert.match(r.summary, /^the peer: replication stopped on its default channel/);
  });

  test('CRITICAL: the nodes replicate from something other than each other; --peer not the source alone is a WARNING', () => {
    const foreign = [channel({ sourceHost: '10.0.0.9', sourceServerId: 9 })];
    const topology = evaluatePool(poolResult(healthyNode('local', {}, foreign), healthyNode('peer')), thresholds());
    assert.equal(topology.state, 'CRITICAL');
    assert.match(
      topology.summary,
      /^the local node replicates from server_id 9 \(10\.0\.0\.9:3306, its default channel\), not from the peer/,
    );
    const misnamed = evaluatePool(poolResult(healthyNode('local'), healthyNode('peer'), '--peer db2:3306 is not the source'), thresholds());
    assert.equal(misnamed.state, 'WARNING');
  });

  test('CRITICAL: no node would take traffic, said first', () => {
    const r = evaluatePool(poolResult(healthyNode('local', {}, stopped, 300), healthyNode('peer', {}, stopped, 300)), thresholds());
    assert.equal(r.state, 'CRITICAL');
    assert.match(r.summary, /^no node would take traffic: local replication-stopped, peer replication-stopped; /);
  });

  test("lag and heartbeat age against the ranges, on either node's figures", () => {
    const lagging = [channel({ lag: 12, sourceServerId: 1 })];
    const lag = evaluatePool(poolResult(healthyNode('local'), healthyNode('peer', {}, lagging)), thresholds({ w: '5', c: '30' }));
    assert.equal(lag.state, 'WARNING');
    assert.match(lag.summary, /^peer: lag 12 s \(warning 5\)/);
    assert.equal(
      evaluatePool(poolResult(healthyNode('local'), healthyNode('peer', {}, lagging)), thresholds({ w: '5', c: '10' })).state,
      'CRITICAL',
    );
    const hb = evaluatePool(poolResult(healthyNode('local'), healthyNode('peer')), thresholds({ hc: '2' }));
    assert.equal(hb.state, 'CRITICAL');
    assert.match(hb.summary, /local: heartbeat age 3 s \(critical\)/);
  });
});
