/**
 * End to end with a real HAProxy: the two MariaDB nodes of a real pair are
 * `server primary` and `server secondary ... backup` (mode tcp), checked with
 * `option httpchk` (HAProxy's default request, OPTIONS / HTTP/1.0) against
 * mysql-failover-http run per connection with the socket as stdin/stdout
 * (test/support/inetd.ts, as xinetd or systemd Accept=yes would).
 *
 * Primary UP, queries land on a; stop a: its responder answers 503, HAProxy
 * marks primary DOWN and queries land on b; start a again: once it has
 * caught up (the heartbeat went stale during the outage, so the check looks
 * at replication) the primary is UP and queries land on a again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Pair } from '../support/pair';
import { freePort, makeTempDir } from '../support/run-dir';
import { HAProxy, httpchkConfig } from '../support/haproxy';
import { Inetd, binPath } from '../support/inetd';
import { createKeyedHeartbeat, keyedStamp, nodeOptionFile, serverIdVia } from '../support/lb-setup';

/** Seconds a stamp counts as fresh here: the outage below lasts longer, so coming back goes through replication. */
const FRESH = 2;

let pair: Pair;
let dir: string;
let listenPort: number;
let haproxy: HAProxy | undefined;
const responders: Partial<Record<'a' | 'b', Inetd>> = {};

function logLines(node: 'a' | 'b'): string[] {
  try {
    return fs
      .readFileSync(path.join(dir, `${node}.log`), 'utf8')
      .trim()
      .split('\n');
  } catch {
    return [];
  }
}

before(async () => {
  pair = await Pair.start({ name: 'hchk' });
  dir = makeTempDir('hchk-');
  await createKeyedHeartbeat(pair);
  for (const node of ['a', 'b'] as const) {
    const cnf = nodeOptionFile(pair, node, dir, 'http', {
      fresh: String(FRESH),
      timeout: '2',
      'log-file': path.join(dir, `${node}.log`),
    });
    responders[node] = await Inetd.start({ command: binPath('mysql-failover-http'), args: [`--defaults-file=${cnf}`] });
  }
  listenPort = await freePort();
  haproxy = await HAProxy.start((stats) =>
    httpchkConfig({
      statsSocket: stats,
      bind: `127.0.0.1:${listenPort}`,
      inter: '500ms',
      primary: { address: `127.0.0.1:${pair.a.port}`, checkPort: responders.a!.port },
      secondary: { address: `127.0.0.1:${pair.b.port}`, checkPort: responders.b!.port },
    }),
  );
});

after(async () => {
  await haproxy?.stop();
  await Promise.all(Object.values(responders).map((r) => r?.close()));
  await pair?.destroy();
});

describe('HAProxy with option httpchk against mysql-failover-http', () => {
  test('both nodes healthy: primary UP, queries land on a, and the checks stamp the heartbeat', async () => {
    const h = haproxy!;
    await h.waitFor('mysql', 'primary', (r) => r['status'] === 'UP', 'UP');
    await h.waitFor('mysql', 'secondary', (r) => r['status'] === 'UP', 'UP');
    assert.equal(await serverIdVia(pair, listenPort), 1);
    // The responder is an LB probe: it stamps its own row (keyed by server_id).
    const stamp = await keyedStamp(pair, 'a', '1');
    assert.ok(stamp !== undefined && Math.abs(stamp - Date.now() / 1000) <= 3, `a's stamp ${stamp}`);
    assert.ok(logLines('a').some((l) => /verdict=UP reason=(fresh|caught-up)/.test(l)));
  });

  test('stop a: its responder answers 503, HAProxy marks primary DOWN, queries land on b', async () => {
    const h = haproxy!;
    await pair.stop('a');
    const stoppedAt = Date.now();
    const row = await h.waitFor('mysql', 'primary', (r) => r['status'] === 'DOWN', 'DOWN');
    // L7STS: the responder answered, with a status other than 2xx/3xx (not a refused connection or a timeout).
    assert.equal(row['check_status'], 'L7STS');
    assert.equal(row['check_code'], '503');
    assert.equal((await h.server('mysql', 'secondary'))['status'], 'UP');
    assert.equal(await serverIdVia(pair, listenPort), 2);
    assert.ok(logLines('a').some((l) => /verdict=DOWN reason=local-unreachable/.test(l)));
    // b serves alone: its peer is unreachable, which is UP (and stamps).
    assert.ok(logLines('b').some((l) => /verdict=UP reason=peer-unreachable/.test(l)));

    // The peer takes writes while a is away, and a's stamp goes stale.
    await pair.sql('b', 'CREATE DATABASE IF NOT EXISTS scratch');
    await pair.sql('b', 'CREATE TABLE scratch.t (id INT PRIMARY KEY) ENGINE=InnoDB');
    await pair.sql('b', 'INSERT INTO scratch.t VALUES (1), (2), (3)');
    const wait = (FRESH + 1) * 1000 - (Date.now() - stoppedAt);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  });

  test('a returns: primary UP again once a has caught up, and queries land on a', async () => {
    const h = haproxy!;
    const before = logLines('a').length;
    await pair.startNode('a');
    await pair.waitReplicationRunning('a');
    await pair.waitCaughtUp('a');
    await h.waitFor('mysql', 'primary', (r) => r['status'] === 'UP', 'UP');
    assert.equal(await serverIdVia(pair, listenPort), 1);
    const rows = await pair.sql('a', 'SELECT COUNT(*) AS n FROM scratch.t');
    assert.equal(Number(rows[0]?.n), 3, 'a has the writes b took meanwhile');
    // Its stamp was stale, so a said UP only after checking replication.
    const firstUp = logLines('a')
      .slice(before)
      .find((l) => /verdict=UP/.test(l));
    assert.match(firstUp ?? '', /reason=caught-up/);
  });

  test('no responder wrote to stderr or exited non-zero', () => {
    for (const node of ['a', 'b'] as const) {
      const r = responders[node]!;
      assert.ok(r.connections > 4, `HAProxy checked ${node} ${r.connections} times`);
      assert.deepEqual(r.stderrSeen(), []);
      assert.deepEqual(r.failures(), []);
    }
  });
});
