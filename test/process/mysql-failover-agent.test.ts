/**
 * mysql-failover-agent as a process, run per connection with the socket as
 * stdin/stdout, without a database (a fake listener counts connections).
 * Against a real MariaDB pair and a real HAProxy: test/e2e/haproxy-agent.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { binPath, type Inetd } from '../support/inetd';
import { ResponderFixture, assertQuiet } from '../support/responder-fixture';
import { ask, FakeServer } from '../support/exchange';

let fx: ResponderFixture;
let dir: string;
let hang: FakeServer;
let maintenanceFile: string;

function optionFile(name: string, lines: string[]): string {
  return fx.optionFile(name, lines);
}

function agent(args: string[]): Promise<Inetd> {
  return fx.responder('mysql-failover-agent', args);
}

before(async () => {
  fx = await ResponderFixture.start('mfc-agent-');
  ({ dir, hang, maintenanceFile } = fx);
});

after(() => fx?.close());

describe('maintenance file', () => {
  test('"maint #maintenance" by default, without touching the database, whether or not HAProxy sends anything', async () => {
    const d = await agent([
      `--defaults-file=${optionFile('m', ['host=127.0.0.1', `port=${hang.port}`, `maintenance-file=${maintenanceFile}`])}`,
    ]);
    writeFileSync(maintenanceFile, '');
    try {
      const before = hang.connections;
      assert.equal((await ask(d.port, '')).text, 'maint #maintenance\n', 'HAProxy sends nothing by default');
      assert.equal((await ask(d.port, 'be_mysql/primary\n')).text, 'maint #maintenance\n', 'agent-send');
      const sent = await ask(d.port, 'x'.repeat(20_000));
      assert.equal(sent.text, 'maint #maintenance\n', 'more than we read');
      assert.equal(hang.connections, before);
    } finally {
      rmSync(maintenanceFile, { force: true });
    }
    assertQuiet(d);
  });

  test('--agent-maintenance drain (command line or option file) answers "drain #maintenance"', async () => {
    writeFileSync(maintenanceFile, '');
    try {
      const cli = await agent([`--maintenance-file=${maintenanceFile}`, '--no-defaults', '--agent-maintenance=drain']);
      assert.equal((await ask(cli.port, '')).text, 'drain #maintenance\n');
      const file = await agent([`--defaults-file=${optionFile('d', [`maintenance-file=${maintenanceFile}`, 'agent-maintenance=DRAIN'])}`]);
      assert.equal((await ask(file.port, '')).text, 'drain #maintenance\n');
      // The command line wins over the option file.
      const both = await agent([
        `--defaults-file=${optionFile('d2', [`maintenance-file=${maintenanceFile}`, 'agent-maintenance=drain'])}`,
        '--agent-maintenance=maint',
      ]);
      assert.equal((await ask(both.port, '')).text, 'maint #maintenance\n');
      assertQuiet(cli);
      assertQuiet(file);
      assertQuiet(both);
    } finally {
      rmSync(maintenanceFile, { force: true });
    }
  });
});

describe('failing safe', () => {
  test('a hung database is "down ready #local-unreachable" within --timeout', async () => {
    const d = await agent([`--defaults-file=${optionFile('h', ['host=127.0.0.1', `port=${hang.port}`, 'timeout=1'])}`]);
    const a = await ask(d.port, '');
    assert.equal(a.text, 'down ready #local-unreachable\n');
    assert.ok(a.ms < 2000, `answered after ${a.ms} ms with --timeout 1`);
    assertQuiet(d);
  });

  test('bad options and a bad --agent-maintenance are "down ready #error"', async () => {
    for (const args of [
      ['--no-such-option'],
      ['stray'],
      ['--no-defaults', '--agent-maintenance=off'],
      ['--defaults-file=/nonexistent.cnf'],
    ]) {
      const d = await agent(args);
      assert.equal((await ask(d.port, '')).text, 'down ready #error\n', args.join(' '));
      assertQuiet(d);
    }
  });
});

describe('run by hand', () => {
  test('--help names the agent option; --version', () => {
    const help = spawnSync(binPath('mysql-failover-agent'), ['--help'], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: mysql-failover-agent/);
    assert.match(help.stdout, /--agent-maintenance STATE +maint or drain/);
    const version = spawnSync(binPath('mysql-failover-agent'), ['-V'], { encoding: 'utf8', timeout: 10_000 });
    assert.match(version.stdout, /^mysql-failover-agent \d+\.\d+\.\d+\n$/);
  });

  test('stdin may be a pipe', () => {
    const r = spawnSync(binPath('mysql-failover-agent'), ['--no-defaults', `--maintenance-file=${dir}`], {
      stdio: ['pipe', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 10_000,
    });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, 'maint #maintenance\n');
    assert.equal(r.stderr, '');
  });
});
