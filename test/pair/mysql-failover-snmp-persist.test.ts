/**
 * `mysql-failover-snmp --persist` as snmpd runs it under pass_persist: one
 * child process over pipes with a clean environment, talking the protocol
 * against a real MariaDB pair. Each case ends with EOF on stdin (snmpd
 * closing the pipe) and checks that the process exits 0 having written
 * nothing to stderr and nothing to stdout beyond the answers read.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Pair } from '../support/pair';
import { makeTempDir } from '../support/run-dir';
import { createKeyedHeartbeat, nodeOptionFile } from '../support/lb-setup';
import { PersistClient } from '../support/pass-persist-client';
import { runBin } from '../support/run-bin';
import { DEFAULT_PERSIST_BASE, formatOid, parsePersistBase } from '../../src/answers/oid';

const B = formatOid(parsePersistBase(DEFAULT_PERSIST_BASE));
const VERDICT = `${B}.1.0`;
const REASON = `${B}.2.0`;
const UP_REASONS = ['fresh', 'caught-up', 'peer-unreachable'];

let pair: Pair;
let dir: string;
let clients = 0;

/** An option file for node a with its own log file; returns both paths. */
function config(extra: Record<string, string> = {}): { cnf: string; log: string } {
  const name = `p${++clients}`;
  const log = path.join(dir, `${name}.log`);
  return { cnf: nodeOptionFile(pair, 'a', dir, name, { timeout: '2', 'log-file': log, ...extra }), log };
}

function logLines(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** EOF, then the exit: 0, nothing on stderr, nothing left unread on stdout. */
async function finish(client: PersistClient): Promise<void> {
  const exit = await client.close();
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.equal(client.stderr, '', 'nothing on stderr, ever');
  assert.equal(client.unread, '', 'nothing on stdout but the answers');
}

/** Asks for the verdict until it is `want` (bounded); returns the reasons seen on the way. */
async function waitVerdict(client: PersistClient, want: string, timeoutMs = 30_000): Promise<string[]> {
  const seen: string[] = [];
  const until = Date.now() + timeoutMs;
  for (;;) {
    const [, , value] = await client.ask(`PING\nget\n${VERDICT}\n`).then(async (pong) => {
      assert.deepEqual(pong, ['PONG']);
      return client.answer();
    });
    const [, , reason] = await client.ask(`get\n${REASON}\n`);
    seen.push(`${value} ${reason}`);
    if (value === want) return seen;
    if (Date.now() > until) throw new Error(`never ${want} within ${timeoutMs} ms: ${seen.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

before(async () => {
  pair = await Pair.start({ name: 'persist' });
  dir = makeTempDir('persist-');
  await createKeyedHeartbeat(pair);
});

after(async () => {
  await pair?.destroy();
});

describe('mysql-failover-snmp --persist over pipes', () => {
  test('healthy pair: PONG, 100 with an UP reason, a walk in OID order, set refused', async () => {
    const { cnf } = config();
    const client = new PersistClient([`--defaults-file=${cnf}`]);
    assert.deepEqual(await client.ask('PING\n'), ['PONG']);
    assert.deepEqual(await client.ask(`get\n${VERDICT}\n`), [VERDICT, 'integer', '100']);
    const [oid, type, reason] = await client.ask(`get\n${REASON}\n`);
    assert.deepEqual([oid, type], [REASON, 'string']);
    assert.ok(UP_REASONS.includes(reason!), reason);
    assert.deepEqual(await client.ask(`getnext\n${B}\n`), [VERDICT, 'integer', '100']);
    assert.deepEqual((await client.ask(`getnext\n${VERDICT}\n`)).slice(0, 2), [REASON, 'string']);
    assert.deepEqual(await client.ask(`getnext\n${REASON}\n`), ['NONE']);
    assert.deepEqual(await client.ask(`get\n${B}.3.0\n`), ['NONE']);
    assert.deepEqual(await client.ask(`set\n${VERDICT}\ninteger 200\n`), ['not-writable']);
    assert.deepEqual(await client.ask(`get\n${VERDICT}\n`), [VERDICT, 'integer', '100'], 'the set changed nothing');
    await finish(client);
  });

  test('--cache: requests within it share one check; --cache 0 checks for every request', async () => {
    const cached = config();
    const c1 = new PersistClient([`--defaults-file=${cached.cnf}`, '--cache', '600']);
    for (let i = 0; i < 10; i++) assert.equal((await c1.ask(`get\n${i % 2 ? REASON : VERDICT}\n`)).length, 3);
    await finish(c1);
    assert.equal(logLines(cached.log).length, 1, logLines(cached.log).join('\n'));

    const uncached = config();
    const c2 = new PersistClient([`--defaults-file=${uncached.cnf}`, '--cache', '0']);
    for (let i = 0; i < 3; i++) assert.equal((await c2.ask(`get\n${VERDICT}\n`))[2], '100');
    await finish(c2);
    assert.equal(logLines(uncached.log).length, 3, logLines(uncached.log).join('\n'));
  });

  test('garbage, blank and overlong lines over the pipe: NONE for each non-request, and the next request is answered', async () => {
    const { cnf } = config();
    const client = new PersistClient([`--defaults-file=${cnf}`]);
    client.send(`hello\n\n\n${'9.'.repeat(200_000)}\nget\n${'1.'.repeat(100_000)}1\n\u0000\u00ff\nPING\n`);
    for (let i = 0; i < 4; i++) assert.deepEqual(await client.answer(), ['NONE'], `answer ${i + 1}`);
    assert.deepEqual(await client.answer(), ['PONG']);
    assert.deepEqual(await client.ask(`get\n${VERDICT}\n`), [VERDICT, 'integer', '100']);
    await finish(client);
  });

  test('a missing option file is 200 (error) without ending the process, and is read once it exists', async () => {
    const { cnf } = config();
    const later = path.join(dir, 'later.cnf');
    const client = new PersistClient([`--defaults-file=${later}`, '--cache', '0']);
    assert.deepEqual(await client.ask(`get\n${VERDICT}\n`), [VERDICT, 'integer', '200']);
    assert.deepEqual(await client.ask(`get\n${REASON}\n`), [REASON, 'string', 'error']);
    fs.copyFileSync(cnf, later);
    assert.deepEqual(await client.ask(`get\n${VERDICT}\n`), [VERDICT, 'integer', '100']);
    await finish(client);
  });

  test('a bad option keeps the protocol going and answers 200 (error) under the default base', async () => {
    const client = new PersistClient(['--no-defaults', '--oid-base', 'netSnmpPlaypen']);
    assert.deepEqual(await client.ask('PING\n'), ['PONG']);
    assert.deepEqual(await client.ask(`get\n${VERDICT}\n`), [VERDICT, 'integer', '200']);
    assert.deepEqual(await client.ask(`get\n${REASON}\n`), [REASON, 'string', 'error']);
    await finish(client);
  });

  test('without --persist, --oid-base and --cache are usage errors, answered 200 as extend answers any', async () => {
    const { cnf } = config();
    for (const extra of [
      ['--cache', '5'],
      ['--oid-base', DEFAULT_PERSIST_BASE],
    ]) {
      const r = await runBin('mysql-failover-snmp', [`--defaults-file=${cnf}`, ...extra]);
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, '200\n', ''], extra.join(' '));
    }
    const plain = await runBin('mysql-failover-snmp', [`--defaults-file=${cnf}`]);
    assert.deepEqual([plain.code, plain.stdout, plain.stderr], [0, '100\n', ''], 'the same option file is healthy');
  });

  test('--oid-base moves the objects', async () => {
    const { cnf } = config();
    const client = new PersistClient([`--defaults-file=${cnf}`, '--oid-base', '1.3.6.1.4.1.99999.42']);
    assert.deepEqual(await client.ask('get\n.1.3.6.1.4.1.99999.42.1.0\n'), ['.1.3.6.1.4.1.99999.42.1.0', 'integer', '100']);
    assert.deepEqual(await client.ask(`get\n${VERDICT}\n`), ['NONE']);
    await finish(client);
  });

  test('local MariaDB stopped: 200 (local-unreachable) from the same process, and 100 again once it is back', async () => {
    const { cnf } = config();
    const client = new PersistClient([`--defaults-file=${cnf}`, '--cache', '0']);
    await waitVerdict(client, '100');
    const pid = client.child.pid;
    await pair.stop('a');
    const down = await waitVerdict(client, '200');
    assert.match(down[down.length - 1]!, /^200 local-unreachable$/);
    await pair.startNode('a');
    await pair.waitReplicationRunning('a');
    await pair.waitCaughtUp('a');
    const up = await waitVerdict(client, '100');
    assert.ok(UP_REASONS.includes(up[up.length - 1]!.split(' ')[1]!), up.join(', '));
    assert.equal(client.child.pid, pid);
    assert.equal(client.child.exitCode, null, 'the same process reconnected');
    await finish(client);
  });
});
