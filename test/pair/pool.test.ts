/**
 * `mysql-failover-check pool` and `check_mysql_failover --pool` on a real
 * pair (docs/pool.md), as an operator runs them: healthy; the peer stopped;
 * replication stopped on one node; a node frozen (within --timeout, its row
 * says so); the --json keys; nothing written (heartbeat rows, the state
 * file, the binlog); the peer's failover state read from its heartbeat row
 * (mirrored by its own load-balancer probes: latched, maintenance,
 * recovered); the plugin's states; the one-row table's unknown state.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pair, type NodeName } from '../support/pair';
import { createKeyedHeartbeat, nodeOptionFile } from '../support/lb-setup';
import { makeTempDir } from '../support/run-dir';
import { runBin, type BinResult } from '../support/run-bin';

const TABLE = 'mysql_failover.heartbeat';
const TIMEOUT_S = 2;
let pair: Pair;
let dir: string;
let seq = 0;

/** An option file for `node` (the other one its peer), with a state file of its own: what its load balancer's probes read. */
function optionFile(node: NodeName, extra: Record<string, string> = {}): string {
  return nodeOptionFile(pair, node, dir, `o${++seq}`, {
    table: TABLE,
    timeout: String(TIMEOUT_S),
    'state-file': join(dir, `state-${node}.ini`),
    ...extra,
  });
}

async function run(name: string, args: string[]): Promise<BinResult> {
  const r = await runBin(name, args);
  process.stdout.write(
    `${name} ${args.join(' ')} -> exit ${r.code} in ${r.elapsedMs} ms\n${(r.stdout + r.stderr).replace(/^(?=.)/gm, '    ')}`,
  );
  assert.equal(r.signal, null);
  return r;
}

async function pool(file: string, args: string[] = []): Promise<BinResult> {
  const r = await run('mysql-failover-check', ['pool', `--defaults-file=${file}`, ...args]);
  assert.equal(r.stderr, '');
  return r;
}

interface PoolJson {
  summary: { pool: string; up: number; text: string; flags: Array<{ code: string; message: string }> };
  nodes: Array<Record<string, any>>;
}

async function poolJson(file: string): Promise<{ code: number | null; j: PoolJson; elapsedMs: number }> {
  const r = await pool(file, ['--json']);
  return { code: r.code, j: JSON.parse(r.stdout) as PoolJson, elapsedMs: r.elapsedMs };
}

/** A load-balancer probe of `node` (SNMP extend), which stamps and holds its failover state. */
async function lbProbe(file: string): Promise<string> {
  const r = await run('mysql-failover-snmp', [`--defaults-file=${file}`]);
  return r.stdout.trim();
}

async function plugin(file: string): Promise<BinResult> {
  return run('check_mysql_failover', ['--pool', `--defaults-file=${file}`, '-t', String(TIMEOUT_S)]);
}

/** Makes `node`'s own heartbeat stamp stale on both servers: its verdict then depends on its replication. */
async function staleStamp(node: NodeName): Promise<void> {
  const id = pair.node(node).serverId;
  await pair.sql(node, `UPDATE ${TABLE} SET lastcheck = UNIX_TIMESTAMP() - 1000 WHERE node = ?`, [String(id)]);
}

async function rowsOf(node: NodeName): Promise<string> {
  const heartbeat = await pair.sql(node, `SELECT * FROM ${TABLE} ORDER BY node`);
  const original = await pair.sql(node, 'SELECT * FROM status_example.lastcheck');
  return JSON.stringify({ heartbeat, original });
}

describe('pool on a real pair', () => {
  before(async () => {
    pair = await Pair.start({ name: 'pool' });
    dir = makeTempDir('pool-');
    await createKeyedHeartbeat(pair);
  });
  after(async () => {
    await pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    for (const n of ['a', 'b'] as const) {
      pair.thaw(n);
      if (!pair.isRunning(n)) await pair.startNode(n);
      await pair.sql(n, 'START SLAVE');
    }
    await pair.restore();
    for (const n of ['a', 'b'] as const) {
      rmSync(join(dir, `state-${n}.ini`), { force: true });
      await pair.sql(n, `SET GLOBAL server_id = ${pair.node(n).serverId}`);
    }
    await pair.sql('a', `DELETE FROM ${TABLE}`);
    await pair.waitCaughtUp('b');
  });

  test('healthy: both nodes would take traffic, side by side, each with its failover state; exit 0', async () => {
    const a = optionFile('a');
    const b = optionFile('b');
    assert.equal(await lbProbe(a), '100');
    assert.equal(await lbProbe(b), '100');
    await pair.waitCaughtUp('a');
    await pair.waitCaughtUp('b');

    const text = await pool(a);
    assert.equal(text.code, 0, text.stdout);
    const lines = text.stdout.split('\n');
    assert.equal(lines[0], 'pool: both nodes would take traffic');
    assert.ok(
      lines.some((l) => new RegExp(`^address +127\\.0\\.0\\.1:${pair.a.port} +127\\.0\\.0\\.1:${pair.b.port}$`).test(l)),
      text.stdout,
    );
    assert.ok(
      lines.some((l) => /^server +1\d\.\d+\.\d+-MariaDB.*, server_id 1 +1\d\.\d+\.\d+-MariaDB.*, server_id 2$/.test(l)),
      text.stdout,
    );
    assert.ok(
      lines.some((l) => /^read_only +OFF +OFF$/.test(l)),
      text.stdout,
    );
    assert.ok(
      lines.some((l) => /^heartbeat +age \d s \(row '1'\) +age \d s \(row '2'\)$/.test(l)),
      text.stdout,
    );
    assert.ok(
      lines.some((l) => /^replication +default: IO Yes, SQL Yes, lag 0 s +default: IO Yes, SQL Yes, lag 0 s$/.test(l)),
      text.stdout,
    );
    assert.ok(
      lines.some((l) =>
        new RegExp(`^ +from 127\\.0\\.0\\.1:${pair.b.port} \\(server_id 2\\) +from 127\\.0\\.0\\.1:${pair.a.port} \\(server_id 1\\)$`).test(
          l,
        ),
      ),
      text.stdout,
    );
    assert.ok(
      lines.some((l) => /^failover +up since \S+ \(state file\) +up since \S+ \(heartbeat row\)$/.test(l)),
      text.stdout,
    );
    assert.ok(
      lines.some((l) => /^verdict +UP \(fresh\) +UP \(fresh\)$/.test(l)),
      text.stdout,
    );

    const { code, j } = await poolJson(a);
    assert.equal(code, 0);
    assert.deepEqual(j.summary, { pool: 'both', up: 2, text: 'both nodes would take traffic', flags: [] });
    const [local, peer] = j.nodes as [Record<string, any>, Record<string, any>];
    assert.equal(local.role, 'local');
    assert.equal(peer.role, 'peer');
    assert.equal(peer.address, `127.0.0.1:${pair.b.port}`);
    assert.equal(peer.serverId, 2);
    assert.equal(peer.channels[0].sourceServerId, 1);
    assert.equal(peer.state.name, 'up');
    assert.equal(peer.state.source, 'heartbeat-row');
    assert.equal(local.state.source, 'state-file');

    // --peer auto finds the same peer: the local node's replication source.
    const auto = await poolJson(optionFile('a', { peer: 'auto' }));
    assert.equal(auto.code, 0);
    assert.equal(auto.j.nodes[1]?.address, `127.0.0.1:${pair.b.port}`);
    assert.equal(auto.j.nodes[1]?.verdict, 'UP');
  });

  test('--json: the stable keys, for both nodes alike', async () => {
    const { j } = await poolJson(optionFile('a'));
    assert.deepEqual(Object.keys(j), ['summary', 'nodes', 'table', 'elapsedMs']);
    assert.deepEqual(Object.keys(j.summary), ['pool', 'up', 'text', 'flags']);
    assert.equal(j.nodes.length, 2);
    for (const n of j.nodes) {
      for (const key of ['role', 'address', 'reachable', 'verdict', 'reason', 'state', 'channels'])
        assert.ok(key in n, `${n.role}: ${key}`);
      assert.deepEqual(Object.keys(n), Object.keys(j.nodes[0] ?? {}));
      assert.deepEqual(Object.keys(n.state), ['name', 'since', 'source', 'why']);
    }
    assert.deepEqual(
      j.nodes.map((n) => n.role),
      ['local', 'peer'],
    );
  });

  test('pool writes nothing: heartbeat rows, the state file and the binlog stay as they were', async () => {
    const a = optionFile('a');
    assert.equal(await lbProbe(a), '100');
    assert.equal(await lbProbe(optionFile('b')), '100');
    await pair.waitCaughtUp('a');
    await pair.waitCaughtUp('b');
    // Stale: pool then reads replication and tries (and rolls back) the stamp, as status does.
    await staleStamp('a');
    await pair.waitCaughtUp('b');
    const stateFile = join(dir, 'state-a.ini');
    const before = {
      rows: { a: await rowsOf('a'), b: await rowsOf('b') },
      gtid: { a: await pair.gtidBinlogPos('a'), b: await pair.gtidBinlogPos('b') },
      state: readFileSync(stateFile, 'utf8'),
      mtime: statSync(stateFile).mtimeMs,
    };
    assert.equal((await pool(a)).code, 0);
    assert.equal((await pool(a, ['--json'])).code, 0);
    assert.equal((await pool(optionFile('b'))).code, 0);
    assert.equal((await plugin(a)).code, 0);
    const after = {
      rows: { a: await rowsOf('a'), b: await rowsOf('b') },
      gtid: { a: await pair.gtidBinlogPos('a'), b: await pair.gtidBinlogPos('b') },
      state: readFileSync(stateFile, 'utf8'),
      mtime: statSync(stateFile).mtimeMs,
    };
    assert.deepEqual(after, before);
    assert.ok(!existsSync(`${stateFile}.lock`));
  });

  test('the peer stopped: the local node UP (peer-unreachable), the peer unreachable; exit 1, WARNING', async () => {
    const a = optionFile('a');
    await pair.stop('b');
    const text = await pool(a);
    assert.equal(text.code, 1, text.stdout);
    assert.match(
      text.stdout,
      new RegExp(`^pool: only the local node \\(127\\.0\\.0\\.1:${pair.a.port}\\) would take traffic: no redundancy`),
    );
    assert.match(text.stdout, /^reachable +yes +no \(CONNECT_FAILED\)$/m);
    assert.match(text.stdout, /^verdict +UP \(peer-unreachable\) +DOWN \(local-unreachable\)$/m);
    const { j } = await poolJson(a);
    assert.equal(j.nodes[0]?.verdict, 'UP');
    assert.equal(j.nodes[0]?.reason, 'peer-unreachable');
    assert.equal(j.nodes[1]?.reachable, false);
    assert.equal(j.nodes[1]?.connection, 'unreachable');
    assert.equal(j.nodes[1]?.takesTraffic, false);
    assert.deepEqual(j.summary.flags, [], "the local replica thread's failure to reach a stopped peer is that peer's row, not a flag");
    const p = await plugin(a);
    assert.equal(p.code, 1, p.stdout);
    assert.match(p.stdout, /^MYSQL FAILOVER WARNING - only the local node .* would take traffic: no redundancy/);
    assert.match(p.stdout, /'peer_reachable'=0;;;0;1/);
    assert.match(p.stdout, /'local_reachable'=1;;;0;1/);
  });

  test('replication stopped on one node: that node DOWN (replication-stopped), flagged; exit 1, CRITICAL', async () => {
    const a = optionFile('a');
    await pair.sql('b', 'STOP SLAVE');
    await staleStamp('b');
    const { code, j } = await poolJson(a);
    assert.equal(code, 1);
    assert.equal(j.summary.pool, 'one');
    assert.equal(j.nodes[0]?.verdict, 'UP');
    assert.equal(j.nodes[1]?.verdict, 'DOWN');
    assert.equal(j.nodes[1]?.reason, 'replication-stopped');
    assert.equal(j.nodes[1]?.channels[0].ioRunning, 'No');
    assert.deepEqual(
      j.summary.flags.map((f) => f.code),
      ['replication-stopped'],
    );
    assert.match(
      j.summary.flags[0]?.message ?? '',
      /^the peer: replication stopped on its default channel from 127\.0\.0\.1:\d+: IO No, SQL No$/,
    );
    const text = await pool(a);
    assert.match(text.stdout, /^ {2}!! replication-stopped: the peer: replication stopped/m);
    assert.match(text.stdout, /^replication +default: IO Yes, SQL Yes, lag 0 s +default: IO No, SQL No, lag unknown$/m);
    const p = await plugin(a);
    assert.equal(p.code, 2, p.stdout);
    assert.match(p.stdout, /^MYSQL FAILOVER CRITICAL - the peer: replication stopped/);
    assert.match(p.stdout, /'peer_lag'=U/);
  });

  for (const frozen of ['b', 'a'] as const) {
    test(`node ${frozen} frozen: pool answers within --timeout, and that row says it did not answer`, async () => {
      const a = optionFile('a');
      pair.freeze(frozen);
      try {
        const { code, j, elapsedMs } = await poolJson(a);
        assert.ok(elapsedMs < TIMEOUT_S * 1000 + 1000, `answered after ${elapsedMs} ms`);
        assert.equal(code, 1);
        const [still, gone] = frozen === 'b' ? [j.nodes[0], j.nodes[1]] : [j.nodes[1], j.nodes[0]];
        assert.equal(gone?.connection, 'no-answer');
        assert.equal(gone?.verdict, 'DOWN');
        assert.equal(still?.verdict, 'UP');
        assert.equal(still?.reason, 'peer-unreachable');
        const text = await pool(a);
        assert.ok(text.elapsedMs < TIMEOUT_S * 1000 + 1000, `answered after ${text.elapsedMs} ms`);
        assert.match(text.stdout, frozen === 'b' ? /^reachable +yes +no answer within 2 s$/m : /^reachable +no answer within 2 s +yes$/m);
      } finally {
        pair.thaw(frozen);
      }
    });
  }

  test("the peer's failover state comes from its heartbeat row: latched (manual failback) it stays out until recover", async () => {
    const aFile = optionFile('a', { failback: 'manual', fresh: '2' });
    const bView = optionFile('b', { failback: 'manual', fresh: '2' });
    assert.equal(await lbProbe(aFile), '100');
    await pair.sql('a', 'STOP SLAVE');
    await staleStamp('a');
    assert.equal(await lbProbe(aFile), '200', 'a latches: DOWN replication-stopped, failed');
    await pair.waitCaughtUp('b');
    const mirrored = await pair.sql('b', `SELECT state FROM ${TABLE} WHERE node = '1'`);
    assert.equal(mirrored[0]?.state, 'failed', 'the state reached the peer through replication');

    await pair.sql('a', 'START SLAVE');
    await pair.waitReplicationRunning('a');
    // a would be UP by itself now (caught up), but its latch holds: pool on b says so.
    const { j } = await poolJson(bView);
    const peerA = j.nodes[1] as Record<string, any>;
    assert.equal(peerA.address, `127.0.0.1:${pair.a.port}`);
    assert.deepEqual([peerA.state.name, peerA.state.source], ['failed', 'heartbeat-row']);
    assert.equal(peerA.verdict, 'DOWN');
    assert.equal(peerA.reason, 'awaiting-recover');
    assert.equal(peerA.raw.verdict, 'UP');
    assert.equal(j.summary.pool, 'one');

    const recovered = await run('mysql-failover-check', ['recover', `--defaults-file=${aFile}`]);
    assert.equal(recovered.code, 0, recovered.stderr);
    await pair.waitCaughtUp('b');
    const after = await poolJson(bView);
    assert.equal(after.j.nodes[1]?.state.name, 'up', 'recover copied the state at once');
    assert.equal(after.j.nodes[1]?.verdict, 'UP');
    assert.equal(after.code, 0);
  });

  test("the peer's maintenance, which lives on its own host, is seen through its heartbeat row", async () => {
    const maintenance = join(dir, 'maintenance-a');
    const aFile = optionFile('a', { 'maintenance-file': maintenance });
    assert.equal(await lbProbe(aFile), '100');
    writeFileSync(maintenance, '');
    try {
      assert.equal(await lbProbe(aFile), '200');
      await pair.waitCaughtUp('b');
      const { j } = await poolJson(optionFile('b'));
      assert.equal(j.nodes[1]?.state.name, 'maintenance');
      assert.equal(j.nodes[1]?.reason, 'maintenance');
      assert.equal(j.nodes[1]?.wouldBe?.verdict, 'UP');
    } finally {
      rmSync(maintenance, { force: true });
    }
    assert.equal(await lbProbe(aFile), '100');
    await pair.waitCaughtUp('b');
    assert.equal((await poolJson(optionFile('b'))).j.nodes[1]?.state.name, 'up');
  });

  test('check_mysql_failover --pool: OK both, CRITICAL none, CRITICAL when the nodes do not replicate from each other', async () => {
    const a = optionFile('a');
    const ok = await plugin(a);
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /^MYSQL FAILOVER OK - both nodes would take traffic/);
    for (const label of [
      'local_lag',
      'local_heartbeat_age',
      'local_reachable',
      'peer_lag',
      'peer_heartbeat_age',
      'peer_reachable',
      'nodes_up',
    ]) {
      assert.match(ok.stdout, new RegExp(`'${label}'=`), label);
    }

    // b's server_id changes under a's replica thread: a replicates from server_id 2, which the peer no longer is.
    await pair.sql('b', 'SET GLOBAL server_id = 7');
    const topology = await plugin(a);
    assert.equal(topology.code, 2, topology.stdout);
    assert.match(
      topology.stdout,
      /^MYSQL FAILOVER CRITICAL - .*the local node replicates from server_id 2 .*not from the peer \(server_id 7\)/,
    );
    await pair.sql('b', 'SET GLOBAL server_id = 2');

    await pair.sql('a', 'STOP SLAVE');
    await pair.sql('b', 'STOP SLAVE');
    await staleStamp('a');
    await staleStamp('b');
    const none = await plugin(a);
    assert.equal(none.code, 2, none.stdout);
    assert.match(none.stdout, /^MYSQL FAILOVER CRITICAL - no node would take traffic/);
    assert.match(none.stdout, /'nodes_up'=0;;;0;2/);
    const { code } = await poolJson(a);
    assert.equal(code, 3, 'pool exits 3 when no node would take traffic');
  });

  test("the read-only GRANTs setup prints for pool's account are enough to judge the peer", async () => {
    const admin = join(dir, 'admin-a.cnf');
    writeFileSync(admin, `[client]\nuser=root\nsocket=${pair.a.socket}\n`, { mode: 0o600 });
    const setup = await run('mysql-failover-check', [
      'setup',
      `--defaults-file=${admin}`,
      `--table=${TABLE}`,
      '--pool-user=mfc_pool@127.0.0.1',
    ]);
    assert.equal(setup.code, 0, setup.stderr);
    const grants = setup.stdout.split('\n').filter((l) => l.startsWith('GRANT') && l.includes("'mfc_pool'"));
    assert.deepEqual(grants, [
      "GRANT SLAVE MONITOR ON *.* TO 'mfc_pool'@'127.0.0.1';",
      "GRANT SELECT ON `mysql_failover`.`heartbeat` TO 'mfc_pool'@'127.0.0.1';",
    ]);
    await pair.sql('a', "CREATE USER IF NOT EXISTS 'mfc_pool'@'127.0.0.1' IDENTIFIED BY 'pool-pw-1'");
    for (const g of grants) await pair.sql('a', g);
    await pair.waitCaughtUp('b');
    await lbProbe(optionFile('b'));
    await pair.waitCaughtUp('a');
    const { code, j } = await poolJson(optionFile('a', { 'peer-user': 'mfc_pool', 'peer-password': 'pool-pw-1' }));
    assert.equal(code, 0, JSON.stringify(j.summary));
    const peer = j.nodes[1] as Record<string, any>;
    assert.equal(peer.verdict, 'UP');
    assert.equal(peer.replicationError, null);
    assert.equal(peer.channels[0].sourceServerId, 1);
    assert.equal(peer.state.name, 'up');
  });

  test('the original one-row table keeps no state: unknown for both', async () => {
    // Without a state file of its own, the local node's state comes from its row too.
    const file = nodeOptionFile(pair, 'a', dir, 'one-row', { table: 'status_example.lastcheck', timeout: String(TIMEOUT_S) });
    const { code, j } = await poolJson(file);
    assert.equal(code, 0);
    for (const n of j.nodes) {
      assert.equal(n.state.name, 'unknown');
      assert.equal(n.heartbeat.keyed, false);
    }
  });

  test('usage: pool needs the other node; --stamp is refused', async () => {
    const lonely = join(dir, 'lonely.cnf');
    writeFileSync(lonely, `[client]\nuser=${pair.monitorUser}\n[mysql-failover-check]\nhost=127.0.0.1\nport=${pair.a.port}\n`, {
      mode: 0o600,
    });
    const r = await run('mysql-failover-check', ['pool', `--defaults-file=${lonely}`]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /pool needs the other node/);
    const s = await run('mysql-failover-check', ['pool', '--stamp', `--defaults-file=${lonely}`]);
    assert.equal(s.code, 2);
  });
});
