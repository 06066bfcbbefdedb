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
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Pair } from '../support/pair';
import { makeTempDir } from '../support/run-dir';
import { binPath } from '../support/inetd';
import { createKeyedHeartbeat, nodeOptionFile } from '../support/lb-setup';
import { COMMUNITY, snmpGet, startSnmpd, type Snmpd } from '../support/snmpd';
import { extendOids } from '../../src/answers/oid';

const EXTEND = 'mysql_failover';
/** nsExtendOutput1Line."mysql_failover": what the load balancer polls. */
const OID = extendOids(EXTEND).find((o) => o.object === 'nsExtendOutput1Line')!.numeric;
/** Seconds a stamp counts as fresh here: the outage below lasts longer. */
const FRESH = 2;

let pair: Pair;
let dir: string;
let snmpd: Snmpd | undefined;

/** One snmpget, as a load balancer polls: numeric OID, value only. */
function poll(oid = OID): Promise<string> {
  return snmpGet(snmpd!.port, oid);
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
  pair = await Pair.start({ name: 'snmpd' });
  dir = makeTempDir('snmpd-');
  await createKeyedHeartbeat(pair);
  const cnf = nodeOptionFile(pair, 'a', dir, 'snmp', {
    fresh: String(FRESH),
    timeout: '2',
    'log-file': path.join(dir, 'a.log'),
  });
  snmpd = await startSnmpd(dir, [
    `rocommunity ${COMMUNITY} 127.0.0.1`,
    `extend -cacheTime 1 ${EXTEND} ${binPath('mysql-failover-snmp')} --defaults-file=${cnf}`,
  ]);
});

after(async () => {
  await snmpd?.stop();
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
