/**
 * The option-file reader (src/config/option-file-reader.ts), one rule at a
 * time, on files in a scratch directory: which groups, which files in which
 * order, includes, bounds. The same files meet MariaDB's own reader in
 * test/e2e/my-print-defaults.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LIMITS } from '../../../src/config/option-file-parser';
import { readOptionFiles } from '../../../src/config/option-file-reader';
import {
  assertCheckError,
  corpus,
  FIXTURES,
  GROUPS,
  lines,
  readIsolated,
  removeScratch,
  setUpScratch,
  tmpDir,
  tmpRoot,
  writeFile,
} from '../../support/option-files';

before(setUpScratch);
after(removeScratch);

describe('groups', () => {
  test('only wanted groups are returned, in file order across groups', () => {
    const r = readIsolated(GROUPS, { defaultsFile: path.join(FIXTURES, '01-basic.cnf') });
    assert.deepEqual(lines(r), [
      '--user=monitor',
      '--password=s3cret',
      '--host=db1.example.net',
      '--port=3306',
      '--heartbeat-table=percona.heartbeat',
      '--max-lag=30',
    ]);
  });

  test('group names match case-insensitively, with latin1 case folding', () => {
    const dir = tmpDir('groups-case');
    const file = writeFile(
      path.join(dir, 'g.cnf'),
      Buffer.from('[CLIENT]\na=1\n[gr\xc9]\nb=1\n[gr\xe9]\nc=1\n[GR\xc3\xa9]\nd=1\n', 'latin1'),
    );
    assert.deepEqual(lines(readIsolated(['client'], { defaultsFile: file })), ['--a=1']);
    // UTF-8 "é" is C3 A9: latin1 folding maps only the C3 byte, which is already upper case.
    assert.deepEqual(lines(readIsolated(['grÉ'], { defaultsFile: file })), []);
    assert.deepEqual(lines(readIsolated(['gré'], { defaultsFile: file })), ['--d=1']);
  });

  test('--defaults-group-suffix adds G+suffix for every G (case-insensitive too)', () => {
    const file = path.join(FIXTURES, '13-suffix-groups.cnf');
    assert.deepEqual(lines(readIsolated(GROUPS, { defaultsFile: file, groupSuffix: '_ro' })), [
      '--user=base',
      '--user=ro',
      '--max-lag=5',
      '--password=upper-suffix',
      '--max-lag=10',
    ]);
  });

  test('suffix from the environment: MARIADB_GROUP_SUFFIX, else MYSQL_GROUP_SUFFIX; the setting wins; empty counts', () => {
    const file = path.join(FIXTURES, '13-suffix-groups.cnf');
    const read = (env: NodeJS.ProcessEnv, groupSuffix?: string): string[] =>
      lines(readIsolated(['client'], { defaultsFile: file, env, ...(groupSuffix === undefined ? {} : { groupSuffix }) }));
    assert.deepEqual(read({ MYSQL_GROUP_SUFFIX: '_rw' }), ['--user=base', '--user=rw']);
    assert.deepEqual(read({ MARIADB_GROUP_SUFFIX: '_ro', MYSQL_GROUP_SUFFIX: '_rw' }), [
      '--user=base',
      '--user=ro',
      '--password=upper-suffix',
    ]);
    assert.deepEqual(read({ MARIADB_GROUP_SUFFIX: '', MYSQL_GROUP_SUFFIX: '_rw' }), ['--user=base']);
    assert.deepEqual(read({ MARIADB_GROUP_SUFFIX: '_ro' }, '_rw'), ['--user=base', '--user=rw']);
  });
});

describe('which files are read', () => {
  test('default list: global files, then the extra file, then ~/.my.cnf; missing ones skipped silently', () => {
    const dir = tmpDir('default-list');
    const g1 = writeFile(path.join(dir, 'etc', 'my.cnf'), '[client]\nfrom=global1\n');
    const missing = path.join(dir, 'etc', 'missing.cnf');
    const extra = writeFile(path.join(dir, 'extra.cnf'), '[client]\nfrom=extra\n');
    const home = path.join(dir, 'home');
    const homeFile = writeFile(path.join(home, '.my.cnf'), '[client]\nfrom=home\n');
    const r = readOptionFiles(['client'], { defaultFiles: [g1, missing], defaultsExtraFile: extra, home, env: {}, cwd: dir });
    assert.deepEqual(lines(r), ['--from=global1', '--from=extra', '--from=home']);
    assert.deepEqual(r.filesRead, [g1, extra, homeFile]);
    assert.deepEqual(r.warnings, []);
  });

  test('home comes from $HOME when not given; no HOME, no ~/.my.cnf', () => {
    const dir = tmpDir('home-env');
    writeFile(path.join(dir, '.my.cnf'), '[client]\nfrom=home\n');
    assert.deepEqual(lines(readOptionFiles(['client'], { defaultFiles: [], env: { HOME: dir } })), ['--from=home']);
    assert.deepEqual(lines(readOptionFiles(['client'], { defaultFiles: [], env: {} })), []);
  });

  test('$MARIADB_HOME (else $MYSQL_HOME)/my.cnf is read after /etc and before the extra file', () => {
    const dir = tmpDir('mysql-home');
    const mh = path.join(dir, 'mh');
    const mhFile = writeFile(path.join(mh, 'my.cnf'), '[client]\nfrom=mysql-home\n');
    const extra = writeFile(path.join(dir, 'extra.cnf'), '[client]\nfrom=extra\n');
    for (const env of [{ MYSQL_HOME: mh }, { MARIADB_HOME: mh, MYSQL_HOME: '/nonexistent' }, { MARIADB_HOME: `${mh}/` }]) {
      const r = readOptionFiles(['client'], { defaultsExtraFile: extra, env: { ...env, HOME: path.join(dir, 'nohome') } });
      const i = r.filesRead.indexOf(mhFile);
      assert.ok(i >= 0 && r.filesRead.indexOf(extra) === i + 1, JSON.stringify(r.filesRead));
    }
    const r = readOptionFiles(['client'], { env: { MARIADB_HOME: '', MYSQL_HOME: mh, HOME: path.join(dir, 'nohome') } });
    assert.equal(r.filesRead.includes(mhFile), false);
  });

  test('--defaults-file reads only that file, ignoring the extra file and the defaults', () => {
    const dir = tmpDir('defaults-file-only');
    const only = writeFile(path.join(dir, 'only.cnf'), '[client]\nfrom=only\n');
    const extra = writeFile(path.join(dir, 'extra.cnf'), '[client]\nfrom=extra\n');
    writeFile(path.join(dir, '.my.cnf'), '[client]\nfrom=home\n');
    const r = readOptionFiles(['client'], { defaultsFile: only, defaultsExtraFile: extra, home: dir, env: {} });
    assert.deepEqual(lines(r), ['--from=only']);
  });

  test('named files: relative to cwd, "~/" expanded', () => {
    const dir = tmpDir('named-relative');
    writeFile(path.join(dir, 'sub', 'rel.cnf'), '[client]\nfrom=rel\n');
    assert.deepEqual(lines(readIsolated(['client'], { defaultsFile: 'sub/rel.cnf', cwd: dir })), ['--from=rel']);
    assert.deepEqual(lines(readIsolated(['client'], { defaultsFile: '~/sub/rel.cnf', home: dir })), ['--from=rel']);
    assert.deepEqual(lines(readIsolated(['client'], { defaultsExtraFile: 'sub/rel.cnf', cwd: dir })), ['--from=rel']);
  });

  test('a missing named file is OPTION_FILE_MISSING, naming the path', () => {
    const missing = path.join(tmpRoot, 'no-such-dir', 'nope.cnf');
    assertCheckError(() => readIsolated(['client'], { defaultsFile: missing }), 'OPTION_FILE_MISSING', new RegExp(missing));
    assertCheckError(() => readIsolated(['client'], { defaultsExtraFile: missing }), 'OPTION_FILE_MISSING', new RegExp(missing));
  });

  test('a named directory is OPTION_FILE_UNREADABLE; a default one is skipped', () => {
    const dir = tmpDir('named-dir');
    assertCheckError(() => readIsolated(['client'], { defaultsFile: dir }), 'OPTION_FILE_UNREADABLE', /directory/);
    assert.deepEqual(readIsolated(['client'], { defaultFiles: [dir] }).entries, []);
  });

  test('empty file names are USAGE errors; noDefaults reads nothing', () => {
    assertCheckError(() => readIsolated(['client'], { defaultsFile: '' }), 'USAGE');
    assertCheckError(() => readIsolated(['client'], { defaultsExtraFile: '' }), 'USAGE');
    const r = readIsolated(['client'], { noDefaults: true, defaultsFile: path.join(FIXTURES, '01-basic.cnf') });
    assert.deepEqual(r, { entries: [], warnings: [], filesRead: [] });
  });

  test('a world-writable file is ignored with a warning (named, default or included)', () => {
    const dir = tmpDir('world-writable');
    const ww = writeFile(path.join(dir, 'ww.cnf'), '[client]\nfrom=ww\n', 0o666);
    const r1 = readIsolated(['client'], { defaultsFile: ww });
    assert.deepEqual(r1.entries, []);
    assert.deepEqual(r1.warnings, [`World-writable config file '${ww}' is ignored`]);
    assert.deepEqual(r1.filesRead, []);
    const parent = writeFile(path.join(dir, 'parent.cnf'), `[client]\na=1\n!include ${ww}\nb=1\n`);
    const r2 = readIsolated(['client'], { defaultsFile: parent });
    assert.deepEqual(lines(r2), ['--a=1', '--b=1']);
    assert.equal(r2.warnings.length, 1);
    // group-writable is fine
    const gw = writeFile(path.join(dir, 'gw.cnf'), '[client]\nfrom=gw\n', 0o664);
    assert.deepEqual(lines(readIsolated(['client'], { defaultsFile: gw })), ['--from=gw']);
  });

  test(`a file over ${LIMITS.maxFileBytes} bytes is OPTION_FILE_TOO_LARGE; exactly the limit is fine`, () => {
    const dir = tmpDir('too-large');
    const line = `# ${'x'.repeat(1000)}\n`;
    const body = '[client]\n' + line.repeat(Math.floor((LIMITS.maxFileBytes - 9) / line.length));
    const exact = body + '#'.repeat(LIMITS.maxFileBytes - Buffer.byteLength(body) - 1) + '\n';
    assert.equal(Buffer.byteLength(exact), LIMITS.maxFileBytes);
    const okFile = writeFile(path.join(dir, 'ok.cnf'), exact);
    assert.deepEqual(readIsolated(['client'], { defaultsFile: okFile }).entries, []);
    const big = writeFile(path.join(dir, 'big.cnf'), exact + '\n');
    assertCheckError(() => readIsolated(['client'], { defaultsFile: big }), 'OPTION_FILE_TOO_LARGE', /big\.cnf/);
    // also when reached through !include (our bounds are always fatal)
    const parent = writeFile(path.join(dir, 'parent.cnf'), `!include ${big}\n`);
    assertCheckError(() => readIsolated(['client'], { defaultsFile: parent }), 'OPTION_FILE_TOO_LARGE');
  });

  test('devices: /dev/null reads as empty, /dev/zero is refused quickly', () => {
    assert.deepEqual(readIsolated(['client'], { defaultsFile: '/dev/null' }).entries, []);
    assertCheckError(() => readIsolated(['client'], { defaultsFile: '/dev/zero' }), 'OPTION_FILE_TOO_LARGE');
  });

  test('a FIFO cannot hang the reader', () => {
    const dir = tmpDir('fifo');
    const fifo = path.join(dir, 'fifo.cnf');
    const made = spawnSync('mkfifo', [fifo]);
    assert.equal(made.status, 0, 'mkfifo failed');
    // No writer: reads as empty. (A writer that never writes would give EAGAIN -> unreadable.)
    assert.deepEqual(readIsolated(['client'], { defaultsFile: fifo }).entries, []);
    const parent = writeFile(path.join(dir, 'parent.cnf'), `[client]\na=1\n!include ${fifo}\nb=2\n`);
    assert.deepEqual(lines(readIsolated(['client'], { defaultsFile: parent })), ['--a=1', '--b=2']);
  });
});

describe('includes', () => {
  test('!include reads the file in place; its groups do not leak back', () => {
    const dir = tmpDir('include-basic');
    const inc = writeFile(path.join(dir, 'inc.cnf'), '[client]\nin_inc=1\n[other]\nno=1\n');
    const top = writeFile(path.join(dir, 'top.cnf'), `[mysql-failover-check]\na=1\n!include ${inc}\nb=1\n[client]\nc=1\n`);
    const r = readIsolated(GROUPS, { defaultsFile: top });
    assert.deepEqual(lines(r), ['--a=1', '--in_inc=1', '--b=1', '--c=1']);
    assert.deepEqual(
      r.entries.map((e) => [path.basename(e.file), e.line, e.group]),
      [
        ['top.cnf', 2, 'mysql-failover-check'],
        ['inc.cnf', 2, 'client'],
        ['top.cnf', 4, 'mysql-failover-check'],
        ['top.cnf', 6, 'client'],
      ],
    );
    assert.deepEqual(r.filesRead, [top, inc]);
  });

  test('an included file starts without a group and does not give one to the includer', () => {
    const dir = tmpDir('include-group-state');
    const inc = writeFile(path.join(dir, 'inc.cnf'), '[client]\nx=1\n');
    const top = writeFile(path.join(dir, 'top.cnf'), `!include ${inc}\ny=1\n`);
    assertCheckError(() => readIsolated(['client'], { defaultsFile: top }), 'OPTION_FILE_SYNTAX', /without preceding group/);
  });

  test('relative include paths resolve against cwd, not against the including file', () => {
    const dir = tmpDir('include-relative');
    writeFile(path.join(dir, 'a', 'inc.cnf'), '[client]\nfrom=a\n');
    writeFile(path.join(dir, 'a', 'a', 'inc.cnf'), '[client]\nfrom=a/a\n');
    const top = writeFile(path.join(dir, 'a', 'top.cnf'), '[client]\n!include a/inc.cnf\n');
    assert.deepEqual(lines(readIsolated(['client'], { defaultsFile: top, cwd: dir })), ['--from=a']);
    assert.deepEqual(lines(readIsolated(['client'], { defaultsFile: top, cwd: path.join(dir, 'a') })), ['--from=a/a']);
  });

  test('a missing included file is skipped (with a warning)', () => {
    const dir = tmpDir('include-missing');
    const top = writeFile(path.join(dir, 'top.cnf'), `[client]\na=1\n!include ${dir}/nope.cnf\nb=1\n`);
    const r = readIsolated(['client'], { defaultsFile: top });
    assert.deepEqual(lines(r), ['--a=1', '--b=1']);
    assert.match(r.warnings.join('\n'), /nope\.cnf/);
  });

  test('!includedir reads *.cnf (last extension, case-sensitive, hidden too) in byte order', () => {
    const r = readIsolated(['client'], { defaultsFile: path.join(corpus, '17-includedir.cnf'), cwd: corpus });
    const once = [
      '--from__dot_cnf=1',
      '--from__dot_hidden_dot_cnf=1',
      '--from_10_dot_cnf=1',
      '--from_9_dot_cnf=1',
      '--from_B_dot_cnf=1',
      '--from_a_dot_b_dot_cnf=1',
      '--from_a_dot_cnf=1',
    ];
    assert.deepEqual(lines(r), ['--before=1', ...once, '--after=1', ...once, '--after_trailing_slash=1']);
  });

  test('an include loop stops at depth 10 (11 reads) with a warning', () => {
    const r = readIsolated(['client'], { defaultsFile: path.join(corpus, '18-include-loop.cnf') });
    assert.equal(r.entries.filter((e) => e.name === 'loop').length, LIMITS.maxIncludeDepth + 1);
    assert.equal(r.entries.filter((e) => e.name === 'after_loop').length, LIMITS.maxIncludeDepth + 1);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0] ?? '', /maximum include depth/);
  });

  test(`more than ${LIMITS.maxFiles} files in all is OPTION_FILE_TOO_LARGE (a branching include loop)`, () => {
    const dir = tmpDir('include-fanout');
    const self = path.join(dir, 'fan.cnf');
    writeFile(self, `[client]\nx=1\n!include ${self}\n!include ${self}\n`);
    const started = Date.now();
    assertCheckError(() => readIsolated(['client'], { defaultsFile: self }), 'OPTION_FILE_TOO_LARGE', /More than 256/);
    assert.ok(Date.now() - started < 2000);
  });

  test(`an !includedir listing more than ${LIMITS.maxDirEntries} entries is OPTION_FILE_TOO_LARGE`, () => {
    const dir = tmpDir('includedir-huge');
    const d = path.join(dir, 'd');
    fs.mkdirSync(d);
    // dangling symlinks: listed like files, but far cheaper to create than files
    for (let i = 0; i <= LIMITS.maxDirEntries; i++) fs.symlinkSync('/nonexistent', path.join(d, `${i}.txt`));
    const top = writeFile(path.join(dir, 'top.cnf'), `[client]\n!includedir ${d}\n`);
    assertCheckError(() => readIsolated(['client'], { defaultsFile: top }), 'OPTION_FILE_TOO_LARGE', /more than 1024 entries/);
    fs.rmSync(path.join(d, '0.txt'));
    assert.deepEqual(readIsolated(['client'], { defaultsFile: top }).entries, []);
  });

  test(`more than ${LIMITS.maxTotalBytes} bytes in all is OPTION_FILE_TOO_LARGE`, () => {
    const dir = tmpDir('total-bytes');
    const line = `# ${'x'.repeat(1000)}\n`;
    const body = line.repeat(Math.floor(LIMITS.maxFileBytes / line.length));
    const count = Math.ceil(LIMITS.maxTotalBytes / Buffer.byteLength(body)) + 1;
    const files: string[] = [];
    for (let i = 0; i < count; i++) files.push(writeFile(path.join(dir, `f${i}.cnf`), body));
    assertCheckError(() => readIsolated(['client'], { defaultFiles: files }), 'OPTION_FILE_TOO_LARGE', /add up/);
    assert.deepEqual(readIsolated(['client'], { defaultFiles: files.slice(0, count - 2) }).entries, []);
  });

  test(`warnings are capped at ${LIMITS.maxWarnings} plus a count`, () => {
    const dir = tmpDir('many-warnings');
    const depth = LIMITS.maxIncludeDepth;
    writeFile(path.join(dir, `f${depth}.cnf`), '!skipped\n'.repeat(150));
    for (let i = depth - 1; i >= 0; i--) writeFile(path.join(dir, `f${i}.cnf`), `!include ${dir}/f${i + 1}.cnf\n`);
    const r = readIsolated(['client'], { defaultsFile: path.join(dir, 'f0.cnf') });
    assert.equal(r.warnings.length, LIMITS.maxWarnings + 1);
    assert.equal(r.warnings.at(-1), '... and 50 more warnings');
    assert.equal(r.filesRead.length, depth + 1);
  });

  test('errors inside an included file become warnings and end only that file; at the top they are fatal', () => {
    const r = readIsolated(['client'], { defaultsFile: path.join(corpus, '21-include-broken.cnf') });
    assert.deepEqual(lines(r), ['--before=1', '--broken_before_error=1', '--bad_dir_before=1', '--bad_directive_before=1', '--after=1']);
    assert.equal(r.warnings.length, 3);
    assertCheckError(() => readIsolated(['client'], { defaultsFile: path.join(corpus, 'inc', 'broken.cnf') }), 'OPTION_FILE_SYNTAX');
    assertCheckError(
      () => readIsolated(['client'], { defaultsFile: path.join(corpus, 'inc', 'broken-includedir.cnf') }),
      'OPTION_FILE_MISSING',
      /no-such-dir/,
    );
  });

  test('a syntax error in a default file is fatal', () => {
    const dir = tmpDir('default-broken');
    const broken = writeFile(path.join(dir, 'my.cnf'), '[client\n');
    assertCheckError(() => readIsolated(['client'], { defaultFiles: [broken] }), 'OPTION_FILE_SYNTAX');
  });
});
