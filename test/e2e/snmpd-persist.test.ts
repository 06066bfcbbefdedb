/**
 * End to end with a real snmpd (the Debian package) running
 * `mysql-failover-snmp --persist` through `pass_persist`, queried with the
 * net-snmp clients by number, as a load balancer would: 100 while the pair is
 * healthy, 200 once the local MariaDB is stopped, a walk that shows exactly
 * the documented objects, and a refused snmpset (the community may write, so
 * it is our program that refuses). One process serves every request. snmpd
 * loads the shipped snippet snmp/mysql-failover-persist.conf (addresses and
 * paths substituted), so its view and its pass_persist line are real too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Pair } from '../support/pair';
import { makeTempDir } from '../support/run-dir';
import { binPath } from '../support/inetd';
import { createKeyedHeartbeat, nodeOptionFile } from '../support/lb-setup';
import { COMMUNITY, snmpClient, snmpGet, startSnmpd, type Snmpd } from '../support/snmpd';
import { DEFAULT_PERSIST_BASE, parsePersistBase, persistOids } from '../../src/answers/oid';
import { repoPath } from '../support/repo';

const OBJECTS = persistOids(parsePersistBase(DEFAULT_PERSIST_BASE));
const VERDICT = OBJECTS.find((o) => o.object === 'mfcVerdict')!.numeric;
const UP_REASONS = ['fresh', 'caught-up', 'peer-unreachable'];
const SNIPPET = repoPath('snmp', 'mysql-failover-persist.conf');
/** The read-only community of the snippet, as the load balancer uses it. */
const LB_COMMUNITY = 'mfc-lb';

let pair: Pair;
let dir: string;
let snmpd: Snmpd | undefined;

function logLines(): string[] {
  try {
    return fs.readFileSync(path.join(dir, 'a.log'), 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** Polls the verdict until it is `want` (bounded); returns every answer seen. */
async function waitVerdict(want: string, timeoutMs = 30_000): Promise<string[]> {
  const seen: string[] = [];
  const until = Date.now() + timeoutMs;
  for (;;) {
    const got = await snmpGet(snmpd!.port, VERDICT).catch((e: Error) => `error: ${e.message.split('\n')[0]}`);
    seen.push(got);
    if (got === want) return seen;
    if (Date.now() > until) throw new Error(`snmpget never answered ${want} within ${timeoutMs} ms: ${seen.join(', ')}\n${snmpd!.log()}`);
    await new Promise((resolve) => setTimeout(resolve, 1100));
  }
}

before(async () => {
  pair = await Pair.start({ name: 'snmpd-persist' });
  dir = makeTempDir('snmpd-persist-');
  await createKeyedHeartbeat(pair);
  const cnf = nodeOptionFile(pair, 'a', dir, 'snmp', { timeout: '2', 'log-file': path.join(dir, 'a.log') });
  const snippet = fs.readFileSync(SNIPPET, 'utf8');
  for (const needle of ['192.0.2.10/32', 'CHANGE-ME', '/usr/bin/mysql-failover-snmp', '/etc/mysql-failover-check/monitor.cnf']) {
    assert.ok(snippet.includes(needle), `snippet no longer contains ${needle}`);
  }
  snmpd = await startSnmpd(dir, [
    `rwcommunity ${COMMUNITY} 127.0.0.1`,
    snippet
      .replace('192.0.2.10/32', '127.0.0.1')
      .replace('CHANGE-ME', LB_COMMUNITY)
      .replace('/usr/bin/mysql-failover-snmp', binPath('mysql-failover-snmp'))
      .replace('/etc/mysql-failover-check/monitor.cnf', cnf),
  ]);
});

after(async () => {
  await snmpd?.stop();
  await pair?.destroy();
});

describe('snmpd pass_persist running mysql-failover-snmp --persist', () => {
  test('healthy pair: snmpget of the verdict is the INTEGER 100', async () => {
    await waitVerdict('100', 15_000);
    const typed = await snmpClient('snmpget', snmpd!.port, [VERDICT], { output: ['-On'] });
    assert.equal(typed.trim(), `.${VERDICT} = INTEGER: 100`);
  });

  test("snmpwalk of the base with the load balancer's community shows exactly the documented objects, in order", async () => {
    const walk = await snmpClient('snmpwalk', snmpd!.port, [DEFAULT_PERSIST_BASE], { output: ['-On'], community: LB_COMMUNITY });
    // The snippet's view ends at the base, so the walk ends with snmpwalk's endOfMibView line.
    const lines = walk.trim().split('\n');
    assert.match(lines.pop() ?? '', /No more variables left in this MIB View/);
    const rows = lines.map((l) => /^\.([\d.]+) = (\w+): (.*)$/.exec(l));
    assert.deepEqual(
      rows.map((m) => (m ? [m[1], m[2]] : null)),
      OBJECTS.map((o) => [o.numeric, o.type]),
      walk,
    );
    assert.equal(rows[0]![3], '100');
    assert.ok(UP_REASONS.includes(rows[1]![3]!.replace(/^"(.*)"$/, '$1')), walk);
    const missing = await snmpClient('snmpget', snmpd!.port, [`${DEFAULT_PERSIST_BASE}.3.0`], { output: ['-On'] });
    assert.match(missing, /No Such Instance/);
  });

  test('snmpset with the shipped read-only community is refused by snmpd itself (noAccess): the request never reaches us', async () => {
    await assert.rejects(
      snmpClient('snmpset', snmpd!.port, [VERDICT, 'i', '200'], { community: LB_COMMUNITY }),
      (e: Error & { stderr?: string }) => {
        assert.match(`${e.stderr ?? ''}${e.message}`, /noAccess/);
        return true;
      },
    );
    assert.equal(await snmpGet(snmpd!.port, VERDICT), '100');
  });

  test('snmpset with a community that may write is refused by us (notWritable) and changes nothing', async () => {
    await assert.rejects(snmpClient('snmpset', snmpd!.port, [VERDICT, 'i', '200']), (e: Error & { stderr?: string }) => {
      assert.match(`${e.stderr ?? ''}${e.message}`, /notWritable/);
      return true;
    });
    assert.equal(await snmpGet(snmpd!.port, VERDICT), '100');
  });

  test('local MariaDB stopped: 200, answered by the same long-running process', async () => {
    await pair.stop('a');
    const seen = await waitVerdict('200', 15_000);
    assert.ok(seen.length <= 4, `200 within a few polls, got ${seen.join(', ')}`);
    assert.equal(await snmpGet(snmpd!.port, OBJECTS.find((o) => o.object === 'mfcReason')!.numeric), 'local-unreachable');
    const lines = logLines();
    assert.ok(
      lines.some((l) => /verdict=DOWN reason=local-unreachable/.test(l)),
      lines.join('\n'),
    );
    const pids = new Set(lines.map((l) => /pid=(\d+)/.exec(l)?.[1]));
    assert.equal(pids.size, 1, `one process served every poll: ${[...pids].join(', ')}`);
  });
});
