/**
 * End to end with a real HAProxy: mysql-failover-agent (HAProxy's
 * agent-check protocol, run per connection with the socket as stdin/stdout)
 * takes a server out and brings it back through the maintenance file, with
 * no HAProxy reload and no stats-socket command.
 *
 * Two proxies in front of the same real MariaDB pair:
 * - `mysql`, the shipped example services/haproxy/haproxy.cfg as it is
 *   (only addresses, ports and check intervals changed): `option httpchk`
 *   against mysql-failover-http plus agent-check, secondary as backup; the
 *   maintenance file drives the primary to MAINT;
 * - `drain_be`: `option mysql-check` plus an agent run with
 *   `--agent-maintenance drain`; the maintenance file drives it to DRAIN.
 * In both, the backup takes the new connections while the file exists, and
 * removing it brings the primary back. Finally, the file removed while the
 * node is down leaves the server DOWN (the agent's `ready` lifts the MAINT
 * it set, `down` keeps the truth), and it comes back UP with the node.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Pair } from '../support/pair';
import { freePort, makeTempDir } from '../support/run-dir';
import { adaptExample, HAProxy, type StatRow } from '../support/haproxy';
import { Inetd, binPath } from '../support/inetd';
import { createKeyedHeartbeat, nodeOptionFile, serverIdVia } from '../support/lb-setup';
import { repoPath } from '../support/repo';

let pair: Pair;
let dir: string;
let maintenanceFile: string;
let haproxy: HAProxy | undefined;
const ports = { maint: 0, drain: 0 };
const daemons: Record<string, Inetd> = {};

/** HAProxy's status column: `DOWN`, or `DOWN (agent)` when the agent set it, `DRAIN (agent)`, ...; not `UP 1/2` (going down). */
const status = (want: string) => (r: StatRow) => new RegExp(`^${want}( \\([a-z ]+\\))?$`).test(r['status'] ?? '');

function touch(file: string): void {
  fs.writeFileSync(file, 'draining for a test\n');
}

before(async () => {
  pair = await Pair.start({ name: 'agent' });
  dir = makeTempDir('agent-');
  maintenanceFile = path.join(dir, 'maintenance');
  await createKeyedHeartbeat(pair);
  // For `option mysql-check user haproxy_check`: a password-less user that can only log in.
  await pair.sql('a', "CREATE USER 'haproxy_check'@'127.0.0.1'");
  await pair.waitCaughtUp('b');

  // One option file per node, shared by the HTTP responder and the agent, as on a real host.
  const cnfA = nodeOptionFile(pair, 'a', dir, 'lb', { 'maintenance-file': maintenanceFile, timeout: '2' });
  const cnfB = nodeOptionFile(pair, 'b', dir, 'lb', { timeout: '2' });
  daemons['httpA'] = await Inetd.start({ command: binPath('mysql-failover-http'), args: [`--defaults-file=${cnfA}`] });
  daemons['httpB'] = await Inetd.start({ command: binPath('mysql-failover-http'), args: [`--defaults-file=${cnfB}`] });
  daemons['agentA'] = await Inetd.start({ command: binPath('mysql-failover-agent'), args: [`--defaults-file=${cnfA}`] });
  daemons['agentB'] = await Inetd.start({ command: binPath('mysql-failover-agent'), args: [`--defaults-file=${cnfB}`] });
  daemons['agentDrainA'] = await Inetd.start({
    command: binPath('mysql-failover-agent'),
    args: [`--defaults-file=${cnfA}`, '--agent-maintenance=drain'],
  });
  ports.maint = await freePort();
  ports.drain = await freePort();
  const example = fs.readFileSync(repoPath('services', 'haproxy', 'haproxy.cfg'), 'utf8');
  haproxy = await HAProxy.start(
    (stats) =>
      adaptExample(example, {
        statsSocket: stats,
        bind: `127.0.0.1:${ports.maint}`,
        servers: {
          primary: { address: `127.0.0.1:${pair.a.port}`, checkPort: daemons['httpA']!.port, agentPort: daemons['agentA']!.port },
          secondary: { address: `127.0.0.1:${pair.b.port}`, checkPort: daemons['httpB']!.port, agentPort: daemons['agentB']!.port },
        },
        // Shorter than the example's 2 s so the test is quick; one process per check and per agent run.
        inter: '1s',
        rise: 2,
      }) +
      `
listen drain_be
    bind 127.0.0.1:${ports.drain}
    mode tcp
    option mysql-check user haproxy_check
    default-server inter 500ms fall 2 rise 2
    server primary 127.0.0.1:${pair.a.port} check agent-check agent-port ${daemons['agentDrainA']!.port} agent-inter 500ms
    server secondary 127.0.0.1:${pair.b.port} check backup
`,
  );
});

after(async () => {
  await haproxy?.stop();
  await Promise.all(Object.values(daemons).map((d) => d.close()));
  await pair?.destroy();
});

describe('HAProxy agent-check driven by the maintenance file', () => {
  test('healthy: both primaries UP, the agent says "up", queries land on a', async () => {
    const h = haproxy!;
    for (const be of ['mysql', 'drain_be']) {
      await h.waitFor(be, 'primary', status('UP'), 'UP');
      await h.waitFor(be, 'secondary', status('UP'), 'UP');
      await h.waitFor(be, 'primary', (r) => /via agent : up/.test(r['last_agt'] ?? ''), 'reported up by the agent');
    }
    assert.equal(await serverIdVia(pair, ports.maint), 1);
    assert.equal(await serverIdVia(pair, ports.drain), 1);
  });

  test('maintenance file present: MAINT (default) and DRAIN (--agent-maintenance drain), queries land on b', async () => {
    const h = haproxy!;
    touch(maintenanceFile);
    await h.waitFor('mysql', 'primary', status('MAINT'), 'MAINT');
    await h.waitFor('drain_be', 'primary', status('DRAIN'), 'DRAIN');
    assert.equal(await serverIdVia(pair, ports.maint), 2);
    assert.equal(await serverIdVia(pair, ports.drain), 2);
    // Still in maintenance a few agent runs later: nothing flips it back on its own.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.ok(status('MAINT')(await h.server('mysql', 'primary')));
    assert.ok(status('DRAIN')(await h.server('drain_be', 'primary')));
  });

  test('maintenance file removed: both primaries UP again, queries land on a', async () => {
    const h = haproxy!;
    fs.rmSync(maintenanceFile);
    await h.waitFor('mysql', 'primary', status('UP'), 'UP');
    await h.waitFor('drain_be', 'primary', status('UP'), 'UP');
    assert.equal(await serverIdVia(pair, ports.maint), 1);
    assert.equal(await serverIdVia(pair, ports.drain), 1);
  });

  test('node down: the agent says "down", MAINT while the file exists, DOWN (not MAINT) once it is removed, UP when a returns', async () => {
    const h = haproxy!;
    await pair.stop('a');
    await h.waitFor('mysql', 'primary', status('DOWN'), 'DOWN');
    await h.waitFor('drain_be', 'primary', status('DOWN'), 'DOWN');
    await h.waitFor('drain_be', 'primary', (r) => /via agent : down \(local-unreachable\)/.test(r['last_agt'] ?? ''), 'down by agent');
    assert.equal(await serverIdVia(pair, ports.maint), 2);

    touch(maintenanceFile);
    await h.waitFor('mysql', 'primary', status('MAINT'), 'MAINT');
    fs.rmSync(maintenanceFile);
    // The agent's next "down ready #local-unreachable" lifts the MAINT it set; the node is still down.
    await h.waitFor('mysql', 'primary', status('DOWN'), 'DOWN after the file is removed');
    await h.waitFor('drain_be', 'primary', status('DOWN'), 'DOWN after the file is removed');
    assert.equal(await serverIdVia(pair, ports.maint), 2);

    await pair.startNode('a');
    await pair.waitReplicationRunning('a');
    await pair.waitCaughtUp('a');
    await h.waitFor('mysql', 'primary', status('UP'), 'UP');
    await h.waitFor('drain_be', 'primary', status('UP'), 'UP');
    assert.equal(await serverIdVia(pair, ports.maint), 1);
    assert.equal(await serverIdVia(pair, ports.drain), 1);
  });

  test('no responder or agent wrote to stderr or exited non-zero', () => {
    for (const [name, d] of Object.entries(daemons)) {
      assert.ok(d.connections > 4, `${name} ran ${d.connections} times`);
      assert.deepEqual(d.stderrSeen(), [], name);
      assert.deepEqual(d.failures(), [], name);
    }
  });
});
