/**
 * `mysql-failover-check oid NAME` checked against the real snmpd: an snmpd on
 * loopback with two `extend` entries, queried with snmpget by the numeric OIDs
 * the CLI prints (no MIB files involved, as on a load balancer). The same
 * snmpd also loads the shipped snippet snmp/mysql-failover.conf (addresses and
 * paths substituted), so its syntax, its view and its extend line are real.
 * Needs Debian's snmpd and snmp packages.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findExecutable, freePort, makeTempDir, registerPid } from '../support/run-dir';
import { binPath, runBin } from '../support/run-bin';
import { repoPath } from '../support/repo';

const run = promisify(execFile);
const snmpd = findExecutable('snmpd');
const snmpget = findExecutable('snmpget');
const missing = snmpd === undefined || snmpget === undefined ? 'snmpd/snmpget not installed (Debian packages snmpd, snmp)' : false;
const COMMUNITY = 'mfctest';
const LB_COMMUNITY = 'mfc-lb';
const SNIPPET = repoPath('snmp', 'mysql-failover.conf');

let daemon: ChildProcess | undefined;
let port = 0;

async function oids(name: string): Promise<string[]> {
  const r = await runBin('mysql-failover-check', ['oid', name]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => l.split(/\s+/)[0] as string);
}

async function get(oid: string, community = COMMUNITY): Promise<string> {
  const { stdout } = await run(snmpget as string, [
    '-v2c',
    '-c',
    community,
    '-On',
    '-Oqv',
    '-M',
    '/nonexistent',
    '-m',
    '',
    '-t',
    '2',
    '-r',
    '2',
    `127.0.0.1:${port}`,
    oid,
  ]);
  return stdout.trim();
}

describe('oid NAME against snmpd', { skip: missing }, () => {
  before(async () => {
    const dir = makeTempDir('snmpd-');
    const script = join(dir, 'answer.sh');
    writeFileSync(script, '#!/bin/sh\nprintf "200\\nsecond line\\n"\nexit 3\n');
    chmodSync(script, 0o755);
    port = await freePort();
    const conf = join(dir, 'snmpd.conf');
    writeFileSync(
      conf,
      [
        `agentaddress udp:127.0.0.1:${port}`,
        `rocommunity ${COMMUNITY} 127.0.0.1`,
        'extend mfc_echo /bin/echo 100',
        `extend mfc.b-2 ${script}`,
      ].join('\n') + '\n',
    );
    // The shipped snippet, pointed at this loopback snmpd, the repository's
    // executable and an option file whose server port is closed (answer: 200).
    const optionFile = join(dir, 'mysql-failover.cnf');
    writeFileSync(optionFile, `[client]\nuser=snmp_test\nhost=127.0.0.1\nport=${await freePort()}\n`, { mode: 0o600 });
    const snippetText = readFileSync(SNIPPET, 'utf8');
    for (const needle of ['192.0.2.10/32', 'CHANGE-ME', '/usr/bin/mysql-failover-snmp', '/etc/mysql-failover-check/monitor.cnf']) {
      assert.ok(snippetText.includes(needle), `snippet no longer contains ${needle}`);
    }
    const snippet = join(dir, 'snippet.conf');
    writeFileSync(
      snippet,
      snippetText
        .replace('192.0.2.10/32', '127.0.0.1')
        .replace('CHANGE-ME', LB_COMMUNITY)
        .replace('/usr/bin/mysql-failover-snmp', binPath('mysql-failover-snmp'))
        .replace('/etc/mysql-failover-check/monitor.cnf', optionFile),
    );
    daemon = spawn(
      snmpd as string,
      ['-f', '-C', '-c', `${conf},${snippet}`, '-Lf', join(dir, 'snmpd.log'), '-p', join(dir, 'snmpd.pid'), '-M', '/nonexistent', '-m', ''],
      { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', SNMP_PERSISTENT_DIR: join(dir, 'persist') }, stdio: 'ignore' },
    );
    if (daemon.pid !== undefined) registerPid(daemon.pid, 'snmpd-oid-test');
    // Wait until it answers.
    const until = Date.now() + 15_000;
    for (;;) {
      try {
        await run(snmpget as string, [
          '-v2c',
          '-c',
          COMMUNITY,
          '-t',
          '0.3',
          '-r',
          '0',
          '-M',
          '/nonexistent',
          '-m',
          '',
          `127.0.0.1:${port}`,
          '1.3.6.1.2.1.1.3.0',
        ]);
        break;
      } catch (e) {
        if (Date.now() > until) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });
  after(() => {
    daemon?.kill('SIGKILL');
  });

  test('the shipped snippet: the LB community reads the answer and nothing outside the extend tables', async () => {
    const [line, , result] = await oids('mysql_failover');
    assert.equal(await get(line as string, LB_COMMUNITY), '"200"');
    assert.equal(await get(result as string, LB_COMMUNITY), '0');
    assert.match(await get('1.3.6.1.2.1.1.3.0', LB_COMMUNITY), /No Such Object/i);
  });

  test('nsExtendOutput1Line and nsExtendResult of a one-line answer', async () => {
    const [line, full, result] = await oids('mfc_echo');
    assert.equal(await get(line as string), '"100"');
    assert.equal(await get(full as string), '"100"');
    assert.equal(await get(result as string), '0');
  });

  test('nsExtendOutputFull has every line; nsExtendResult the exit status', async () => {
    const [line, full, result] = await oids('mfc.b-2');
    assert.equal(await get(line as string), '"200"');
    assert.match(await get(full as string), /^"200\r?\nsecond line"$/);
    assert.equal(await get(result as string), '3');
  });
});
