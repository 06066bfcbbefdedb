/**
 * The demo pair's pure parts and decisions, edge by edge: finding or
 * installing MariaDB (the message path with injected lookups and runners:
 * nothing is installed or uninstalled here), GTID positions, the replica
 * state, the slow write's statement, the option file text (read back by the
 * project's own option-file parser), the pointer file's place, the server's
 * options and the teardown guard's handlers.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  APT_STEPS,
  INSTALL_COMMAND,
  ensureServerPrograms,
  findProgram,
  type CommandRunner,
  type ProgramLookup,
} from '../../../src/demo/server-programs';
import { describeReplica, hasReached, isReplicating, parseGtidPos, replicaState, sqlThreadFailed } from '../../../src/demo/replication';
import { slowWriteSql } from '../../../src/demo/slow-write';
import { nodeOptionFileText, type NodeOptionFileSettings } from '../../../src/demo/node-option-file';
import { defaultPointerFile } from '../../../src/demo/kept-pair';
import { serverArgs, type ServerConfig } from '../../../src/demo/server-process';
import { guardUntilReleased } from '../../../src/demo/teardown-guard';
import { isCheckError } from '../../../src/core/errors';
import { parseOptionFileText } from '../../../src/config/option-file-parser';
import { makeTempDir } from '../../support/run-dir';

const isMissing = (e: unknown): boolean => isCheckError(e) && e.code === 'MISSING_PROGRAM';

describe('finding and installing MariaDB', () => {
  const nothing: ProgramLookup = () => undefined;
  const neverRun: CommandRunner = () => assert.fail('nothing may be run');

  test('found: the paths, nothing run', async () => {
    const lookup: ProgramLookup = (n) => `/opt/x/${n}`;
    assert.deepEqual(await ensureServerPrograms({ lookup, isRoot: true, run: neverRun }), {
      mariadbd: '/opt/x/mariadbd',
      installDb: '/opt/x/mariadb-install-db',
    });
  });

  test('missing and not root: MISSING_PROGRAM whose message ends with the exact install command', async () => {
    await assert.rejects(ensureServerPrograms({ lookup: nothing, isRoot: false, run: neverRun }), (e: unknown) => {
      assert.ok(isMissing(e));
      const lines = (e as Error).message.split('\n');
      assert.equal(lines[lines.length - 1], `  ${INSTALL_COMMAND}`);
      return true;
    });
    assert.equal(INSTALL_COMMAND, 'sudo apt-get update && sudo apt-get install -y --no-install-recommends mariadb-server');
  });

  test('only one of the two programs present counts as missing', async () => {
    const lookup: ProgramLookup = (n) => (n === 'mariadbd' ? '/usr/sbin/mariadbd' : undefined);
    await assert.rejects(ensureServerPrograms({ lookup, isRoot: false, run: neverRun }), isMissing);
  });

  test('missing as root: apt-get update, then install without recommends, non-interactive, each announced', async () => {
    let installed = false;
    const lookup: ProgramLookup = (n) => (n === 'apt-get' ? '/usr/bin/apt-get' : installed ? `/usr/sbin/${n}` : undefined);
    const calls: { file: string; args: readonly string[]; frontend: string | undefined }[] = [];
    const run: CommandRunner = async (file, args, env) => {
      calls.push({ file, args, frontend: env['DEBIAN_FRONTEND'] });
      if (args[0] === 'install') installed = true;
      return 0;
    };
    const steps: string[] = [];
    const programs = await ensureServerPrograms({ lookup, isRoot: true, run, onStep: (t) => steps.push(t) });
    assert.deepEqual(programs, { mariadbd: '/usr/sbin/mariadbd', installDb: '/usr/sbin/mariadb-install-db' });
    assert.deepEqual(calls, [
      { file: '/usr/bin/apt-get', args: ['update'], frontend: 'noninteractive' },
      { file: '/usr/bin/apt-get', args: ['install', '-y', '--no-install-recommends', 'mariadb-server'], frontend: 'noninteractive' },
    ]);
    assert.deepEqual(
      APT_STEPS,
      calls.map((c) => c.args),
    );
    assert.deepEqual(steps, [
      'installing MariaDB: DEBIAN_FRONTEND=noninteractive apt-get update',
      'installing MariaDB: DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mariadb-server',
    ]);
  });

  test('as root, a failing apt-get stops there', async () => {
    const lookup: ProgramLookup = (n) => (n === 'apt-get' ? '/usr/bin/apt-get' : undefined);
    const calls: string[] = [];
    const run: CommandRunner = async (_f, args) => (calls.push(args[0] ?? ''), 100);
    await assert.rejects(
      ensureServerPrograms({ lookup, isRoot: true, run }),
      (e: unknown) => isMissing(e) && /apt-get update failed \(status 100\)/.test((e as Error).message),
    );
    assert.deepEqual(calls, ['update']);
  });

  test('as root without apt-get: MISSING_PROGRAM, nothing run', async () => {
    await assert.rejects(
      ensureServerPrograms({ lookup: nothing, isRoot: true, run: neverRun }),
      (e: unknown) => isMissing(e) && /no apt-get/.test((e as Error).message),
    );
  });

  test('as root, still missing after the install: MISSING_PROGRAM with the command', async () => {
    const lookup: ProgramLookup = (n) => (n === 'apt-get' ? '/usr/bin/apt-get' : undefined);
    await assert.rejects(
      ensureServerPrograms({ lookup, isRoot: true, run: async () => 0 }),
      (e: unknown) => isMissing(e) && (e as Error).message.includes(INSTALL_COMMAND),
    );
  });

  test('findProgram: PATH first, executables only, relative PATH entries ignored, then the sbin directories', () => {
    const dir = makeTempDir('demo-path-');
    const bin = path.join(dir, 'bin');
    const notExec = path.join(dir, 'noexec');
    fs.mkdirSync(bin);
    fs.mkdirSync(notExec);
    fs.writeFileSync(path.join(bin, 'mariadbd'), '#!/bin/sh\n', { mode: 0o755 });
    fs.writeFileSync(path.join(notExec, 'mariadbd'), '#!/bin/sh\n', { mode: 0o644 });
    fs.writeFileSync(path.join(bin, 'mfc-only-here'), '#!/bin/sh\n', { mode: 0o755 });
    assert.equal(findProgram('mariadbd', [notExec, bin].join(':')), path.join(bin, 'mariadbd'));
    assert.equal(findProgram('mfc-only-here', `relative:${bin}`), path.join(bin, 'mfc-only-here'));
    assert.equal(findProgram('mfc-only-here', 'relative'), undefined);
    assert.equal(findProgram('mfc-no-such-program-anywhere', bin), undefined);
    // Debian's mariadbd is in /usr/sbin, outside a normal user's PATH: found anyway.
    assert.match(findProgram('mariadbd', notExec) ?? '', /^\/usr\/sbin\/mariadbd$|^\/usr\/local\/sbin\/mariadbd$/);
  });
});

describe('GTID positions and the replica state', () => {
  test('parseGtidPos reads domain-server-seq lists, ignoring blanks and junk', () => {
    assert.deepEqual(parseGtidPos(''), new Map());
    assert.deepEqual(parseGtidPos('1-1-5'), new Map([[1, 5n]]));
    assert.deepEqual(
      parseGtidPos(' 1-1-5 , 2-2-18446744073709551615'),
      new Map([
        [1, 5n],
        [2, 18446744073709551615n],
      ]),
    );
    assert.deepEqual(parseGtidPos('x,1-2,3-3-3'), new Map([[3, 3n]]));
  });

  test('hasReached: every domain of the target at or past its sequence number', () => {
    const t = parseGtidPos('1-1-5,2-2-7');
    assert.equal(hasReached(t, parseGtidPos('1-1-5,2-2-7')), true);
    assert.equal(hasReached(t, parseGtidPos('1-1-6,2-1-9,3-3-1')), true);
    assert.equal(hasReached(t, parseGtidPos('1-1-5,2-2-6')), false);
    assert.equal(hasReached(t, parseGtidPos('1-1-5')), false);
    assert.equal(hasReached(new Map(), new Map()), true);
  });

  test('replicaState: no row, NULL lag, numbers as strings', () => {
    assert.equal(replicaState(undefined), undefined);
    const st = replicaState({ Slave_IO_Running: 'Connecting', Slave_SQL_Running: 'Yes', Seconds_Behind_Master: null });
    assert.deepEqual(st, {
      ioRunning: 'Connecting',
      sqlRunning: 'Yes',
      lagSeconds: null,
      lastIoError: '',
      lastSqlErrno: 0,
      lastSqlError: '',
    });
    assert.equal(isReplicating(st), false);
    assert.equal(replicaState({ Seconds_Behind_Master: '7' })?.lagSeconds, 7);
    assert.equal(replicaState({ Seconds_Behind_Master: 0 })?.lagSeconds, 0);
    assert.equal(isReplicating(replicaState({ Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes' })), true);
  });

  test('sqlThreadFailed only for a stopped SQL thread with an error', () => {
    assert.equal(sqlThreadFailed(undefined), false);
    assert.equal(sqlThreadFailed(replicaState({ Slave_SQL_Running: 'No', Last_SQL_Errno: 0 })), false);
    const failed = replicaState({
      Slave_IO_Running: 'Yes',
      Slave_SQL_Running: 'No',
      Last_SQL_Errno: 1062,
      Last_SQL_Error: 'Duplicate entry',
    });
    assert.equal(sqlThreadFailed(failed), true);
    assert.equal(describeReplica(failed), 'IO Yes, SQL No, lag NULL, last SQL error 1062: Duplicate entry');
    assert.equal(describeReplica(undefined), 'no replica configured');
  });
});

describe('the slow write', () => {
  test('sleeps only where the global server_id is the lagging node, for exactly the seconds asked', () => {
    const sql = slowWriteSql('a', 2, 5);
    assert.match(sql, /^INSERT INTO `mfc_demo`\.`writes` \(written_on, note\) SELECT 'a', /);
    assert.match(sql, /WHERE IF\(@@GLOBAL\.server_id = 2, SLEEP\(5\), 0\) = 0$/);
  });

  test('refuses what would not be an integer in the text, or a long sleep', () => {
    for (const s of [0, -1, 1.5, 61, Number.NaN]) assert.throws(() => slowWriteSql('a', 2, s), RangeError, String(s));
    assert.throws(() => slowWriteSql('a', 0, 5), RangeError);
    assert.throws(() => slowWriteSql("a'; DROP TABLE x; --", 2, 5), RangeError);
    assert.doesNotThrow(() => slowWriteSql('b', 1, 60));
  });
});

describe('the node option file', () => {
  const base: NodeOptionFileSettings = {
    label: 'node a',
    user: 'mfc_monitor',
    password: 'Ab-_9xYz',
    port: 40001,
    peerPort: 40002,
    table: 'mysql_failover.heartbeat',
    logFile: '/tmp/mfc-demo-abcdef/node-a.log',
    maintenanceFile: '/tmp/mfc-demo-abcdef/node-a.maintenance',
  };

  const values = (text: string): [string, string, string | null][] =>
    parseOptionFileText(text).flatMap((i) => (i.kind === 'option' ? [[i.group, i.name, i.value] as [string, string, string | null]] : []));

  test('reads back as the executables read it', () => {
    assert.deepEqual(values(nodeOptionFileText({ ...base, extra: { 'state-file': '/tmp/x/node-a.state', failback: 'manual' } })), [
      ['client', 'user', 'mfc_monitor'],
      ['client', 'password', 'Ab-_9xYz'],
      ['client', 'host', '127.0.0.1'],
      ['client', 'port', '40001'],
      ['mysql-failover-check', 'peer', '127.0.0.1:40002'],
      ['mysql-failover-check', 'table', 'mysql_failover.heartbeat'],
      ['mysql-failover-check', 'log-file', '/tmp/mfc-demo-abcdef/node-a.log'],
      ['mysql-failover-check', 'maintenance-file', '/tmp/mfc-demo-abcdef/node-a.maintenance'],
      ['mysql-failover-check', 'state-file', '/tmp/x/node-a.state'],
      ['mysql-failover-check', 'failback', 'manual'],
    ]);
  });

  test('a path with a space or a # is quoted and reads back unchanged', () => {
    const logFile = '/tmp/my dir #1/node-a.log';
    const text = nodeOptionFileText({ ...base, logFile });
    assert.ok(text.includes(`log-file='${logFile}'`));
    assert.deepEqual(
      values(text).find(([, n]) => n === 'log-file'),
      ['mysql-failover-check', 'log-file', logFile],
    );
  });

  test('refuses what it cannot write faithfully', () => {
    for (const bad of ["/tmp/it's/x.log", '/tmp/a\\b', '/tmp/a\nb', '']) {
      assert.throws(
        () => nodeOptionFileText({ ...base, logFile: bad }),
        (e: unknown) => isCheckError(e) && e.code === 'USAGE',
        JSON.stringify(bad),
      );
    }
    assert.throws(
      () => nodeOptionFileText({ ...base, extra: { 'x\n[client]\npassword': 'y' } }),
      (e: unknown) => isCheckError(e) && e.code === 'USAGE',
    );
  });
});

describe('where a kept pair is remembered', () => {
  test('$XDG_CACHE_HOME when absolute, else ~/.cache', () => {
    assert.equal(defaultPointerFile({ XDG_CACHE_HOME: '/var/cache/u' }, '/home/u'), '/var/cache/u/mysql-failover-check/demo.json');
    assert.equal(defaultPointerFile({ XDG_CACHE_HOME: 'rel' }, '/home/u'), '/home/u/.cache/mysql-failover-check/demo.json');
    assert.equal(defaultPointerFile({}, '/root'), '/root/.cache/mysql-failover-check/demo.json');
  });
});

describe('the server options', () => {
  const config: ServerConfig = {
    label: 'node a',
    mariadbd: '/usr/sbin/mariadbd',
    datadir: '/t/a',
    port: 40001,
    socket: '/t/a.sock',
    pidFile: '/t/a.pid',
    errorLog: '/t/a-error.log',
    outputLog: '/t/a-output.log',
    tmpdir: '/t/tmp',
    serverId: 1,
    gtidDomainId: 1,
    runAsRoot: false,
  };

  test('no option file read, loopback only, its own files, an identity of its own', () => {
    const args = serverArgs(config);
    assert.equal(args[0], '--no-defaults');
    for (const a of [
      '--bind-address=127.0.0.1',
      '--port=40001',
      '--socket=/t/a.sock',
      '--datadir=/t/a',
      '--pid-file=/t/a.pid',
      '--server-id=1',
      '--gtid-domain-id=1',
      '--auto-increment-offset=1',
      '--log-slave-updates',
      '--skip-name-resolve',
    ]) {
      assert.ok(args.includes(a), a);
    }
    assert.ok(!args.includes('--user=root'));
    assert.ok(serverArgs({ ...config, runAsRoot: true }).includes('--user=root'));
  });
});

describe('the teardown guard', () => {
  test('handlers exist only while something is guarded, and a released teardown never runs', () => {
    const before = ['exit', 'SIGINT', 'SIGTERM', 'SIGHUP'].map((e) => process.listenerCount(e));
    let ran = 0;
    const release1 = guardUntilReleased(() => ran++);
    const release2 = guardUntilReleased(() => ran++);
    assert.deepEqual(
      ['exit', 'SIGINT', 'SIGTERM', 'SIGHUP'].map((e) => process.listenerCount(e)),
      before.map((n) => n + 1),
    );
    release1();
    assert.deepEqual(
      ['exit', 'SIGINT', 'SIGTERM', 'SIGHUP'].map((e) => process.listenerCount(e)),
      before.map((n) => n + 1),
    );
    release2();
    assert.deepEqual(
      ['exit', 'SIGINT', 'SIGTERM', 'SIGHUP'].map((e) => process.listenerCount(e)),
      before,
    );
    assert.equal(ran, 0);
  });
});
