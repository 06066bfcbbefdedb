/**
 * End to end with a real snmpd (the Debian package): snmpd started by the
 * test on a loopback port with its own configuration, running
 * mysql-failover-snmp through `extend` with a --defaults-file, queried with
 * snmpget on the numeric OID a load balancer would use (no MIB files).
 *
 * 100 while the pair is healthy; 200 once the local MariaDB is stopped; 100
 * again after it returns and has caught up (its heartbeat went stale during
 * the outage, so the answer comes from the replication check, not the stamp).
 * `-cacheTime 1` keeps snmpd's extend cache (5 s by default) from hiding
 * the changes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Pair } from './support/pair';
import { findExecutable, makeTempDir, registerPid } from './support/run-dir';
import { binPath } from './support/inetd';
import { createKeyedHeartbeat, nodeOptionFile } from './support/lb-setup';
import { extendOids } from '../src/oid';

const run = promisify(execFile);
const COMMUNITY = 'mfctest';
const EXTEND = 'mysql_failover';
/** nsExtendOutput1Line."mysql_failover": what the load balancer polls. */
const OID = extendOids(EXTEND).find((o) => o.object === 'nsExtendOutput1Line')!.numeric;
/** Seconds a stamp counts as fresh here: the outage below lasts longer. */
const FRESH = 2;

let pair: Pair;
let dir: string;
let port = 0;
let snmpd: ChildProcess | undefined;

function need(name: string, pkg: string): string {
  const p = findExecutable(name);
  if (!p) throw new Error(`${name} not found; install it with: apt-get install -y ${pkg} (npm test does so when run as root)`);
  return p;
}

/** A UDP port on 127.0.0.1 that was free a moment ago. */
function freeUdpPort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** One snmpget, as a load balancer polls: numeric OID, value only. */
async function poll(oid = OID): Promise<string> {
  const { stdout } = await run(
    need('snmpget', 'snmp'),
    ['-v2c', '-c', COMMUNITY, '-On', '-Oqv', '-M', '/nonexistent', '-m', '', '-t', '6', '-r', '0', `udp:127.0.0.1:${port}`, oid],
    { timeout: 15_000 },
  );
  return stdout.trim().replace(/^"(.*)"$/, '$1');
}

/** Polls until the answer is `want` (bounded); returns every answer seen. */
async function waitAnswer(want: string, timeoutMs = 30_000): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await poll().catch((e: Error) => `error: ${e.message.split('\n')[0]}`);
    seen.push(got);
    if (got === want) return seen;
    if (Date.now() > deadline) throw new Error(`snmpget never answered ${want} within ${timeoutMs} ms: ${seen.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 1100));
  }
}

function logLines(): string[] {
  try {
    return fs.readFileSync(path.join(dir, 'a.log'), 'utf8').trim().split('\n');
  } catch {
    return [];
  }
}

before(async () => {
  const snmpdPath = need('snmpd', 'snmpd');
  pair = await Pair.start({ name: 'snmpd' });
  dir = makeTempDir('snmpd-');
  await createKeyedHeartbeat(pair);
  const cnf = nodeOptionFile(pair, 'a', dir, 'snmp', {
    fresh: String(FRESH),
    timeout: '2',
    'log-file': path.join(dir, 'a.log'),
  });
  port = await freeUdpPort();
  const conf = path.join(dir, 'snmpd.conf');
  fs.writeFileSync(
    conf,
    [
      `agentaddress udp:127.0.0.1:${port}`,
      `rocommunity ${COMMUNITY} 127.0.0.1`,
      `extend -cacheTime 1 ${EXTEND} ${binPath('mysql-failover-snmp')} --defaults-file=${cnf}`,
    ].join('\n') + '\n',
  );
  // -f: foreground, -Lf: log to a file, -C -c: only this configuration.
  snmpd = spawn(
    snmpdPath,
    ['-f', '-C', '-c', conf, '-Lf', path.join(dir, 'snmpd.log'), '-p', path.join(dir, 'snmpd.pid'), '-M', '/nonexistent', '-m', ''],
    { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', SNMP_PERSISTENT_DIR: path.join(dir, 'persist') }, stdio: 'ignore' },
  );
  snmpd.on('error', () => undefined);
  if (snmpd.pid !== undefined) registerPid(snmpd.pid, 'snmpd-e2e');
  const until = Date.now() + 15_000;
  for (;;) {
    try {
      await run(need('snmpget', 'snmp'), ['-v2c', '-c', COMMUNITY, '-t', '0.3', '-r', '0', '-M', '/nonexistent', '-m', '', `udp:127.0.0.1:${port}`, '1.3.6.1.2.1.1.3.0']);
      break;
    } catch (e) {
      if (snmpd.exitCode !== null || Date.now() > until) {
        throw new Error(`snmpd did not answer: ${String(e)}\n${fs.readFileSync(path.join(dir, 'snmpd.log'), 'utf8').slice(-2000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
});

after(async () => {
  if (snmpd !== undefined && snmpd.exitCode === null && snmpd.signalCode === null) {
    await new Promise<void>((resolve) => {
      snmpd!.once('exit', () => resolve());
      snmpd!.kill('SIGKILL');
      setTimeout(resolve, 5_000).unref();
    });
  }
  await pair?.destroy();
});

describe('snmpd extend running mysql-failover-snmp, polled with snmpget by number', () => {
  test('healthy pair: 100, and the exit status snmpd records is 0', async () => {
    await waitAnswer('100', 15_000);
    const result = extendOids(EXTEND).find((o) => o.object === 'nsExtendResult')!.numeric;
    assert.equal(await poll(result), '0');
    const full = extendOids(EXTEND).find((o) => o.object === 'nsExtendOutputFull')!.numeric;
    assert.equal(await poll(full), '100', 'one line, nothing else (no stderr mixed in)');
  });

  test('local MariaDB stopped: 200', async () => {
    await pair.stop('a');
    const seen = await waitAnswer('200', 15_000);
    assert.ok(seen.length <= 4, `200 within a few polls, got ${seen.join(', ')}`);
    assert.ok(logLines().some((l) => /verdict=DOWN reason=local-unreachable/.test(l)));
    // b takes writes meanwhile, and a's stamp goes stale.
    await pair.sql('b', 'CREATE DATABASE IF NOT EXISTS scratch');
    await pair.sql('b', 'CREATE TABLE scratch.t (id INT PRIMARY KEY) ENGINE=InnoDB');
    await pair.sql('b', 'INSERT INTO scratch.t VALUES (1), (2)');
    await new Promise((resolve) => setTimeout(resolve, (FRESH + 1) * 1000));
    assert.equal(await poll(), '200');
  });

  test('local MariaDB back and caught up: 100 again, decided by replication rather than a stale stamp', async () => {
    const before = logLines().length;
    await pair.startNode('a');
    await pair.waitReplicationRunning('a');
    await pair.waitCaughtUp('a');
    await waitAnswer('100', 30_000);
    const rows = await pair.sql('a', 'SELECT COUNT(*) AS n FROM scratch.t');
    assert.equal(Number(rows[0]?.n), 2);
    const firstUp = logLines()
      .slice(before)
      .find((l) => /verdict=UP/.test(l));
    assert.match(firstUp ?? '', /reason=caught-up/);
  });
});
