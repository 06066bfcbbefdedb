/**
 * End to end with a real HAProxy against `mysql-failover-check serve` on each
 * node of a real pair: `option httpchk` plus `agent-check` to the same
 * resident process. Primary UP; stop a: HAProxy marks primary DOWN and queries
 * land on b; start a again: the same serve process (it was not restarted)
 * reconnects and the primary is UP again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { Pair, type NodeName } from '../support/pair';
import { freePort, makeTempDir } from '../support/run-dir';
import { HAProxy, httpchkConfig } from '../support/haproxy';
import { createKeyedHeartbeat, nodeOptionFile, serverIdVia } from '../support/lb-setup';
import { ServeProcess } from '../support/serve-process';

let pair: Pair;
let dir: string;
let listenPort: number;
let haproxy: HAProxy | undefined;
const serves: Partial<Record<NodeName, { proc: ServeProcess; http: number; agent: number }>> = {};

before(async () => {
  pair = await Pair.start({ name: 'hserve' });
  dir = makeTempDir('hserve-');
  await createKeyedHeartbeat(pair);
  for (const node of ['a', 'b'] as const) {
    const cnf = nodeOptionFile(pair, node, dir, 'serve', { timeout: '2', 'log-file': path.join(dir, `${node}.log`) });
    const http = await freePort();
    const agent = await freePort();
    const proc = await ServeProcess.start([`--defaults-file=${cnf}`, `--http=127.0.0.1:${http}`, `--agent=127.0.0.1:${agent}`], 2);
    serves[node] = { proc, http, agent };
  }
  listenPort = await freePort();
  haproxy = await HAProxy.start((stats) =>
    httpchkConfig({
      statsSocket: stats,
      bind: `127.0.0.1:${listenPort}`,
      inter: '300ms',
      primary: { address: `127.0.0.1:${pair.a.port}`, checkPort: serves.a!.http, agentPort: serves.a!.agent },
      secondary: { address: `127.0.0.1:${pair.b.port}`, checkPort: serves.b!.http, agentPort: serves.b!.agent },
    }),
  );
});

after(async () => {
  await haproxy?.stop();
  for (const s of Object.values(serves)) s?.proc.kill();
  await pair?.destroy();
});

describe('HAProxy (httpchk and agent-check) against mysql-failover-check serve', () => {
  test('both nodes healthy: primary UP by check and agent, queries land on a', async () => {
    const h = haproxy!;
    await h.waitFor('mysql', 'primary', (r) => r['status'] === 'UP' && /up/.test(r['last_agt'] ?? ''), 'UP, agent up');
    await h.waitFor('mysql', 'secondary', (r) => r['status'] === 'UP', 'UP');
    assert.equal(await serverIdVia(pair, listenPort), 1);
  });

  test('stop a: primary DOWN (503 from serve), queries land on b; start a: UP again without restarting serve', async () => {
    const h = haproxy!;
    await pair.stop('a');
    await h.waitFor('mysql', 'primary', (r) => /^DOWN/.test(r['status'] ?? ''), 'DOWN');
    assert.equal(await serverIdVia(pair, listenPort), 2);
    await pair.startNode('a');
    await pair.waitReplicationRunning('a');
    await pair.waitCaughtUp('a');
    await h.waitFor('mysql', 'primary', (r) => r['status'] === 'UP', 'UP');
    assert.equal(await serverIdVia(pair, listenPort), 1);
  });

  test('serve wrote nothing to stderr and exits 0 on SIGTERM', async () => {
    for (const node of ['a', 'b'] as const) {
      const s = serves[node]!;
      assert.equal(s.proc.stderr, '');
      assert.equal((await s.proc.stop('SIGTERM')).code, 0);
    }
  });
});
