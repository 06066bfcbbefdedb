/**
 * Configuration errors are never invisible: an LB executable prints only its
 * answer, so a broken option file with no usable --log-file goes to the
 * system log (here a stand-in socket), naming the file, line and problem.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loggerArgs } from '../../src/io/system-log';
import { makeTempDir } from '../support/run-dir';
import { cleanEnv, runBin } from '../support/run-bin';
import { SyslogListener } from '../support/syslog-listener';

test('logger gets one line as one argv element after --, never options from the message', () => {
  const args = loggerArgs('mysql-failover-snmp', '-p evil\nsecond line', 42, '/run/x.sock');
  assert.deepEqual(args, [
    '--id=42',
    '-t',
    'mysql-failover-snmp',
    '-p',
    'daemon.warning',
    '--socket-errors=off',
    '-u',
    '/run/x.sock',
    '--',
    '-p evil second line',
  ]);
  assert.equal(loggerArgs('t', 'x'.repeat(5000), 1, undefined).at(-1)?.length, 2048);
  assert.ok(!loggerArgs('t', 'm', 1, undefined).includes('-u'));
});

describe('the system log takes what no log file can', () => {
  let dir: string;
  let syslog: SyslogListener;
  before(async () => {
    dir = makeTempDir('syslog-');
    syslog = await SyslogListener.start(dir);
  });
  after(() => {
    syslog?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const env = (): NodeJS.ProcessEnv => cleanEnv({ MFC_SYSLOG_SOCKET: syslog.path });

  test('a typo in the option file, no --log-file: 200, and the system log names file, line and problem', async () => {
    const file = join(dir, 'typo.cnf');
    writeFileSync(file, '[mysql-failover-check]\nfresh=20\nfrsh=20\n', { mode: 0o600 });
    const r = await runBin('mysql-failover-snmp', [`--defaults-file=${file}`], { env: env() });
    assert.equal(r.stdout, '200\n');
    assert.equal(r.stderr, '');
    const line = await syslog.waitFor(/unknown option 'frsh'/);
    assert.match(line, /mysql-failover-snmp/);
    assert.match(line, new RegExp(`${file.replace(/\//g, '\\/')} line 3`));
    assert.match(line, /verdict=DOWN reason=error/);
  });

  test('a --log-file on the command line is honoured although the option file is broken', async () => {
    const file = join(dir, 'broken.cnf');
    const log = join(dir, 'cli.log');
    writeFileSync(file, '[mysql-failover-check]\nthis is junk\n', { mode: 0o600 });
    const r = await runBin('mysql-failover-http', [`--defaults-file=${file}`, `--log-file=${log}`], {
      env: env(),
      input: 'GET / HTTP/1.0\r\n\r\n',
    });
    assert.match(r.stdout, /^HTTP\/1\.1 503 /);
    assert.match(readFileSync(log, 'utf8'), new RegExp(`reason=error .*${file.replace(/\//g, '\\/')} line 2`));
  });

  test('a --log-file that cannot be written: the line goes to the system log, saying why', async () => {
    const file = join(dir, 'unwritable.cnf');
    writeFileSync(file, `[mysql-failover-check]\nlog-file=${join(dir, 'no-such-dir', 'x.log')}\nhost=127.0.0.1\nport=1\ntimeout=1\n`, {
      mode: 0o600,
    });
    const r = await runBin('mysql-failover-agent', [`--defaults-file=${file}`], { env: env() });
    assert.equal(r.stdout, 'down ready #local-unreachable\n');
    const line = await syslog.waitFor(/cannot append to --log-file .*no-such-dir.* \(ENOENT\)/);
    assert.match(line, /verdict=DOWN reason=local-unreachable/);
  });
});
