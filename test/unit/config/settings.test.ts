/**
 * The settings of a check (src/config/settings.ts) from the merged options:
 * the defaults (which are the option table's, shown by --help), endpoints,
 * thresholds, bounds, secrets, and the errors of each.
 */
import { after, before, describe, test } from 'node:test';
import { userInfo } from 'node:os';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from '../../../src/config/argv';
import { helpText } from '../../../src/config/help';
import { resolveOptions } from '../../../src/config/option-merge';
import { COMMON_OPTIONS, DEFAULT_SOCKET } from '../../../src/config/option-specs';
import { checkSettings, type CheckSettings, loginName } from '../../../src/config/settings';
import { CheckError } from '../../../src/core/errors';

let dir = '';

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'settings-'));
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function settings(argv: string[], fileText?: string): CheckSettings {
  let files = ['--no-defaults'];
  if (fileText !== undefined) {
    const file = path.join(dir, `${Math.random().toString(36).slice(2)}.cnf`);
    fs.writeFileSync(file, fileText, { mode: 0o600 });
    files = [`--defaults-file=${file}`];
  }
  return checkSettings(resolveOptions(parseArgs([...files, ...argv], COMMON_OPTIONS), COMMON_OPTIONS));
}

function refused(argv: string[], message: RegExp): void {
  assert.throws(
    () => settings(argv),
    (e: unknown) => e instanceof CheckError && e.code === 'USAGE' && message.test(e.message),
    argv.join(' '),
  );
}

describe('defaults', () => {
  test('nothing given: the unix socket, the keyed table, fresh 20 s, max-lag 1 s, 3 s, no peer, no failover state', () => {
    assert.deepEqual(settings([]), {
      local: { socket: DEFAULT_SOCKET, user: loginName(), password: undefined },
      peer: undefined,
      peerAuto: undefined,
      failover: undefined,
      table: { database: 'mysql_failover', table: 'heartbeat' },
      node: undefined,
      thresholds: { fresh: 20, maxLag: 1, channel: undefined },
      timeoutMs: 3000,
      maintenanceFile: undefined,
      logFile: undefined,
      secrets: [],
    });
  });

  test('every default --help shows is the value the settings use', () => {
    const help = helpText('Usage: x', COMMON_OPTIONS);
    const shown = (name: string): string => {
      const m = new RegExp(`--${name} .*\\(default: ([^)]+)\\)`).exec(help);
      assert.ok(m, `--help shows a default for --${name}`);
      return m[1] as string;
    };
    const s = settings([]);
    assert.equal(shown('socket'), s.local.socket);
    assert.equal(shown('table'), `${s.table.database}.${s.table.table}`);
    assert.equal(Number(shown('fresh')), s.thresholds.fresh);
    assert.equal(Number(shown('max-lag')), s.thresholds.maxLag);
    assert.equal(Number(shown('timeout')) * 1000, s.timeoutMs);
    assert.equal(Number(shown('port')), settings(['--host', 'db1']).local.port);
    assert.equal(shown('host'), 'localhost');
    assert.equal(shown('node'), "the server's server_id");
  });
});

describe('endpoints', () => {
  test('no user configured means the login name, as for the mysql client', () => {
    assert.equal(settings([]).local.user, userInfo().username);
    assert.equal(settings(['--user', 'mon']).local.user, 'mon');
  });

  test('"localhost" means the unix socket, as for the MySQL client; any other host means TCP', () => {
    assert.deepEqual(settings(['--host', 'localhost', '--socket', '/tmp/s']).local, {
      socket: '/tmp/s',
      user: loginName(),
      password: undefined,
    });
    assert.deepEqual(settings(['--host', '127.0.0.1', '--port', '3307']).local, {
      host: '127.0.0.1',
      port: 3307,
      user: loginName(),
      password: undefined,
    });
    assert.equal(settings(['--host', '[::1]']).local.host, '::1');
  });

  test('the peer over TCP (port 3306 unless given) or a socket; its user and password default to the local ones', () => {
    const s = settings(['--peer', 'db2'], '[client]\nuser = m\npassword = pw\n');
    assert.deepEqual(s.peer, { host: 'db2', port: 3306, user: 'm', password: 'pw' });
    assert.deepEqual(settings(['--peer', '[fe80::2]:3307']).peer, { host: 'fe80::2', port: 3307, user: loginName(), password: undefined });
    const own = settings(['--peer-socket', '/tmp/p'], '[mysql-failover-check]\npeer-user = p\npeer-password = ppw\n');
    assert.deepEqual(own.peer, { socket: '/tmp/p', user: 'p', password: 'ppw' });
  });

  test('--peer and --peer-socket together are refused', () => {
    refused(['--peer', 'db2', '--peer-socket', '/tmp/p'], /^--peer and --peer-socket are exclusive$/);
  });

  test('a bad port or host is refused naming the option', () => {
    refused(['--host', 'db1', '--port', '0'], /^--port must be a TCP port/);
    refused(['--host', 'db 1'], /^--host must be HOST\[:PORT\]/);
    refused(['--peer', 'db2:x'], /^--peer must be HOST\[:PORT\]/);
  });
});

describe('check', () => {
  test('thresholds, channel, node, table, timeout, files', () => {
    const s = settings([
      '--fresh=5',
      '--max-lag=0.5',
      '--channel=src1',
      '--node=db1',
      '--table=status_example.lastcheck',
      '--timeout=1.5',
      '--maintenance-file=/m',
      '--log-file=/l',
    ]);
    assert.deepEqual(s.thresholds, { fresh: 5, maxLag: 0.5, channel: 'src1' });
    assert.equal(s.node, 'db1');
    assert.deepEqual(s.table, { database: 'status_example', table: 'lastcheck' });
    assert.equal(s.timeoutMs, 1500);
    assert.equal(s.maintenanceFile, '/m');
    assert.equal(s.logFile, '/l');
  });

  test('each bad value is refused before any connection, naming the option', () => {
    refused(['--fresh', 'abc'], /^--fresh must be a number of seconds, got "abc"$/);
    refused(['--max-lag', '31536001'], /^--max-lag must be between 0 and 31536000 seconds/);
    refused(['--timeout', '0'], /^--timeout must be between 0\.1 and 3600 seconds, got "0"$/);
    refused(['--table', 'x'], /^--table must be DATABASE\.TABLE, got "x"$/);
    refused(['--table', 'a.b;drop'], /^--table: "b;drop" is not a plain identifier/);
    refused(['--node', 'a b'], /^--node must be 1 to 64 printable ASCII characters without spaces$/);
    refused(['--channel', 'c'.repeat(65)], /^--channel is at most 64 characters$/);
  });

  test('option files count like the command line', () => {
    assert.equal(settings([], '[mysql-failover-check]\nfresh = 7\n').thresholds.fresh, 7);
    assert.equal(settings(['--fresh', '8'], '[mysql-failover-check]\nfresh = 7\n').thresholds.fresh, 8);
  });
});

describe('secrets', () => {
  test('the passwords the options hold, to be scrubbed from whatever leaves the process', () => {
    assert.deepEqual(settings([], '[client]\npassword = pw1\n[mysql-failover-check]\npeer-password = pw2\n').secrets, ['pw1', 'pw2']);
    assert.deepEqual(settings([], '[client]\npassword =\n').secrets, [], 'an empty password hides nothing');
  });
});
