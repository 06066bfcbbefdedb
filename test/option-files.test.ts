/**
 * Tests of src/option-files.ts.
 *
 * 1. Unit tests, one rule at a time (inline text through parseOptionFileText,
 *    files in a temporary directory through readOptionFiles).
 * 2. A differential test: every file of test/fixtures/option-files/ is read by
 *    our reader and by MariaDB's `my_print_defaults`, and the outputs must be
 *    identical byte for byte (or both must fail). my_print_defaults must be
 *    installed: the test fails, it does not skip, when it is missing.
 *
 * The corpus is copied to a temporary directory first: "@DIR@" in the fixtures
 * becomes that directory's absolute path, both readers run with it as current
 * directory and as HOME (so relative and "~/" include paths resolve the same
 * for both), and file modes are set explicitly (git does not keep 0666).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckError } from '../src/core/errors';
import {
  LIMITS,
  formatOptionEntry,
  normaliseOptionName,
  optionValues,
  parseOptionFileText,
  type OptionFileItem,
} from '../src/config/option-file-parser';
import { readOptionFiles, type OptionFileSettings, type OptionFilesResult } from '../src/config/option-file-reader';

const FIXTURES = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'option-files');
const GROUPS = ['client', 'mysql-failover-check'] as const;

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

let tmpRoot = '';
/** The corpus copied to tmpRoot/corpus, with "@DIR@" replaced. */
let corpus = '';

function tmpDir(name: string): string {
  const dir = path.join(tmpRoot, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function writeFile(file: string, data: string | Buffer, mode = 0o644): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  fs.chmodSync(file, mode);
  return file;
}

/** Options of an inline file, as [group, name, value] triples. */
function opts(text: string | Buffer): Array<[string, string, string | null]> {
  return parseOptionFileText(text)
    .filter((i): i is Extract<OptionFileItem, { kind: 'option' }> => i.kind === 'option')
    .map((i) => [i.group, i.name, i.value]);
}

/** Values of `name` in an inline [client] file. */
function values(body: string | Buffer): Array<string | null> {
  const text = typeof body === 'string' ? `[client]\n${body}` : Buffer.concat([Buffer.from('[client]\n'), body]);
  return opts(text).map(([, , v]) => v);
}

function assertCheckError(fn: () => unknown, code: string, messagePart?: RegExp): CheckError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof CheckError, `expected a CheckError ${code}, got ${String(thrown)}`);
  assert.equal(thrown.code, code, thrown.message);
  if (messagePart) assert.match(thrown.message, messagePart);
  return thrown;
}

/** readOptionFiles with nothing from /etc or the real home unless asked. */
function readIsolated(groups: readonly string[], settings: OptionFileSettings = {}): OptionFilesResult {
  return readOptionFiles(groups, { defaultFiles: [], env: {}, cwd: tmpRoot, ...settings });
}

function lines(result: OptionFilesResult): string[] {
  return result.entries.map(formatOptionEntry);
}

/* ------------------------------------------------------------------------ */

before(() => {
  tmpRoot = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'option-files-test-')));
  corpus = path.join(tmpRoot, 'corpus');
  copyCorpus(FIXTURES, corpus);
  // HOME is the corpus in the differential test: "~/inc/home.cnf" resolves there, and this .my.cnf is read.
  writeFile(path.join(corpus, '.my.cnf'), '[client]\nfrom_home_my_cnf = 1\n[mysql-failover-check]\nhome_check = yes\n');
});

after(() => {
  if (tmpRoot) fs.rmSync(tmpRoot, { recursive: true, force: true });
});

/* ------------------------------------------------------------------------ */
/* 1. Unit tests                                                             */

describe('line syntax', () => {
  test('empty lines and # or ; comment lines (also indented) are skipped', () => {
    assert.deepEqual(opts('# c\n; c\n   # c\n\t; c\n\n  \t \n[client]\n# x=1\n;y=2\na=1\n'), [['client', 'a', '1']]);
  });

  test('an option before any group is a syntax error', () => {
    assertCheckError(() => parseOptionFileText('a=1\n[client]\n'), 'OPTION_FILE_SYNTAX', /without preceding group.*line 1/);
    assertCheckError(() => parseOptionFileText('# only comments\n\nflag\n'), 'OPTION_FILE_SYNTAX', /line 3/);
  });

  test('a group header without ] is a syntax error', () => {
    assertCheckError(() => parseOptionFileText('[client\na=1\n'), 'OPTION_FILE_SYNTAX', /group definition.*line 1/);
  });

  test('group header: trailing space stripped, leading kept, text after ] ignored, first ] ends it', () => {
    const groups = parseOptionFileText('[client  \t]\n[ client]\n[client] junk\n[a]b]\n[]\n[x#y]\n')
      .filter((i) => i.kind === 'group')
      .map((i) => (i.kind === 'group' ? i.group : ''));
    assert.deepEqual(groups, ['client', ' client', 'client', 'a', '', 'x#y']);
  });

  test('name = value with spaces and tabs trimmed around name and value, inner spaces kept', () => {
    assert.deepEqual(opts('[client]\n \t my name \t=\t some value \t\r\n'), [['client', 'my name', 'some value']]);
  });

  test('the first = separates name and value', () => {
    assert.deepEqual(values('password==a=b=\n'), ['=a=b=']);
  });

  test('a bare name is a flag with a null value; "name=" is an empty string', () => {
    assert.deepEqual(opts('[client]\nskip-ssl\nflag   # note=1\npassword=\npassword =   \n'), [
      ['client', 'skip-ssl', null],
      ['client', 'flag', null],
      ['client', 'password', ''],
      ['client', 'password', ''],
    ]);
  });

  test('# starts a comment outside quotes only', () => {
    assert.deepEqual(values('p=abc#def\np="abc#def"\np=\'a#b\' # c\np=a"b#c\np = x\t# c\n'), ['abc', 'abc#def', 'a#b', 'a"b#c', 'x']);
  });

  test('; is not an inline comment', () => {
    assert.deepEqual(values('p=a;b\np=a ; b\np=;x\n'), ['a;b', 'a ; b', ';x']);
  });

  test('inside quotes a backslash protects the quote character from closing (remove_end_comment)', () => {
    // "a\"#b" : the \" does not close the quote, so # is inside quotes
    assert.deepEqual(values('p="a\\"#b"\n'), ['a"#b']);
    // outside quotes a backslash does not protect: \" opens a quote
    assert.deepEqual(values('p=a\\"#b\n'), ['a"#b']);
    // an escaped backslash before the closing quote: the quote closes, # is a comment
    assert.deepEqual(values('p="a\\\\"#b\n'), ['a\\']);
  });

  test('a value wrapped in matching quotes loses them; anything else keeps its quotes', () => {
    assert.deepEqual(values(`p="dq"\np='sq'\np="mixed'\np="\np=""\np=''\np="a"b"\np=a"b"\np=" x "\np=""""\n`), [
      'dq',
      'sq',
      `"mixed'`,
      '"',
      '',
      '',
      'a"b',
      'a"b"',
      ' x ',
      '""',
    ]);
  });

  test('an unbalanced quote makes the rest of the line part of the value', () => {
    assert.deepEqual(values('p="abc # not a comment\n'), ['"abc # not a comment']);
  });

  test('backslash escapes \\n \\t \\r \\b \\s \\" \\\' \\\\; unknown escapes keep the backslash; a final backslash stays', () => {
    assert.deepEqual(values('p=\\n\\t\\r\\b\\s\\"\\\'\\\\\np=\\x\\0\\q\np=end\\\np="q\\"\n'), [
      '\n\t\r\b "\'\\',
      '\\x\\0\\q',
      'end\\',
      'q\\',
    ]);
  });

  test('escapes are processed after trimming, so \\s keeps edge spaces', () => {
    assert.deepEqual(values('p = \\s x \\s \n'), ['  x  ']);
  });

  test('whitespace is latin1 whitespace: \\v \\f \\r and 0xA0 too (a UTF-8 "à" loses its last byte)', () => {
    assert.deepEqual(values('p=\x0bx\x0c\r\n'), ['x']);
    const [v] = values(Buffer.from('p=voil\xc3\xa0\n', 'latin1'));
    assert.equal(v, 'voil\ufffd'); // C3 alone is not valid UTF-8
    assert.deepEqual(values(Buffer.from('p="voil\xc3\xa0"\n', 'latin1')), ['voilà']);
  });

  test('CRLF line endings work', () => {
    assert.deepEqual(opts('[client]\r\na = 1\r\nflag\r\n'), [
      ['client', 'a', '1'],
      ['client', 'flag', null],
    ]);
  });

  test('an empty option name is rejected (MariaDB would read outside its buffer)', () => {
    assertCheckError(() => parseOptionFileText('[client]\n=x\n'), 'OPTION_FILE_SYNTAX', /without a name/);
    assertCheckError(() => parseOptionFileText('[client]\n   = x\n'), 'OPTION_FILE_SYNTAX');
  });

  test('a NUL byte is rejected', () => {
    assertCheckError(() => parseOptionFileText(Buffer.from('[client]\na=1\0\n')), 'OPTION_FILE_SYNTAX', /NUL byte.*line 2/);
  });

  test(`lines up to ${LIMITS.maxLineBytes} bytes are read whole, longer lines are rejected`, () => {
    const ok = 'p=' + 'x'.repeat(LIMITS.maxLineBytes - 2);
    assert.deepEqual(values(`${ok}\n`), ['x'.repeat(LIMITS.maxLineBytes - 2)]);
    // the \r of a CRLF line counts
    assertCheckError(() => values(`${ok}\r\n`), 'OPTION_FILE_SYNTAX');
    assertCheckError(() => values(`${ok}x\n`), 'OPTION_FILE_SYNTAX', /Line 2 .* 4095 bytes/);
  });

  test('a UTF-8 BOM is not skipped (MariaDB sees an option before any group)', () => {
    assertCheckError(() => parseOptionFileText(Buffer.from('\xef\xbb\xbf[client]\n', 'latin1')), 'OPTION_FILE_SYNTAX');
  });

  test('directives: !include and !includedir need whitespace after the keyword; others are ignored', () => {
    const items = parseOptionFileText(
      '!include /a.cnf\n  !  includedir\t/d \n!includex /b\n!INCLUDE /c\n!foo\n!includedir/x\n[client]\n!include /e.cnf # not a comment\n',
    );
    assert.deepEqual(
      items.map((i) => (i.kind === 'include' || i.kind === 'includedir' ? [i.kind, i.path, i.line] : [i.kind, i.line])),
      [
        ['include', '/a.cnf', 1],
        ['includedir', '/d', 2],
        ['group', 7],
        ['include', '/e.cnf # not a comment', 8],
      ],
    );
  });

  test('!include without a path is a syntax error', () => {
    assertCheckError(() => parseOptionFileText('[client]\n!include   \t\n'), 'OPTION_FILE_SYNTAX', /Wrong '!include' directive.*line 2/);
    assertCheckError(() => parseOptionFileText('!includedir \n'), 'OPTION_FILE_SYNTAX', /includedir/);
  });

  test('a directive on a last line without newline loses its last character (MariaDB assumes a newline)', () => {
    const [item] = parseOptionFileText('!include /a/b.cnfX');
    assert.deepEqual(item, { kind: 'include', path: '/a/b.cnf', line: 1 });
    assertCheckError(() => parseOptionFileText('!include x'), 'OPTION_FILE_SYNTAX');
  });

  test('the parser throws only CheckError, on random input too', () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = Buffer.from('[]#;=!"\'\\ \t\r\n\n\nabcxyz\xa0\xc3\x00', 'latin1');
    for (let i = 0; i < 3000; i++) {
      const len = rnd(80);
      const buf = Buffer.alloc(len);
      for (let j = 0; j < len; j++) buf[j] = rnd(4) === 0 ? rnd(256) : (alphabet[rnd(alphabet.length)] as number);
      const text = rnd(2) === 0 ? Buffer.concat([Buffer.from('[client]\n'), buf]) : buf;
      try {
        parseOptionFileText(text);
      } catch (e) {
        assert.ok(e instanceof CheckError, `non-CheckError for ${JSON.stringify(text.toString('latin1'))}: ${String(e)}`);
      }
    }
  });

  test(`text larger than ${LIMITS.maxFileBytes} bytes is refused`, () => {
    assertCheckError(() => parseOptionFileText(Buffer.alloc(LIMITS.maxFileBytes + 1, 0x23)), 'OPTION_FILE_TOO_LARGE');
  });
});

describe('option names', () => {
  test('normaliseOptionName: "_" and "-" are the same, case does not matter (my_getopt)', () => {
    assert.equal(normaliseOptionName('SSL_CA'), 'ssl-ca');
    assert.equal(normaliseOptionName('connect-timeout'), 'connect-timeout');
    assert.equal(normaliseOptionName('Connect_Timeout'), 'connect-timeout');
  });

  test('optionValues: last one wins by normalised name; flags are null', () => {
    const r = readIsolated(GROUPS, { defaultsFile: path.join(FIXTURES, '11-duplicates.cnf') });
    const v = optionValues(r.entries);
    assert.equal(v.get('user'), 'fourth');
    assert.equal(v.get('connect-timeout'), '2');
    assert.equal(v.has('connect_timeout'), false);
    const flags = optionValues(readIsolated(GROUPS, { defaultsFile: path.join(FIXTURES, '10-flags.cnf') }).entries);
    assert.equal(flags.get('skip-ssl'), null);
    assert.equal(flags.has('skip-ssl'), true);
  });

  test('entries keep the raw name, group, file and line', () => {
    const file = path.join(FIXTURES, '11-duplicates.cnf');
    const r = readIsolated(GROUPS, { defaultsFile: file });
    assert.deepEqual(r.entries[2], { group: 'client', name: 'connect_timeout', value: '1', file, line: 4 });
    assert.deepEqual(r.entries[4], { group: 'mysql-failover-check', name: 'user', value: 'third', file, line: 7 });
    assert.deepEqual(r.filesRead, [file]);
  });

  test('formatOptionEntry prints as my_print_defaults', () => {
    assert.equal(formatOptionEntry({ name: 'a', value: 'b=c' }), '--a=b=c');
    assert.equal(formatOptionEntry({ name: 'a', value: '' }), '--a=');
    assert.equal(formatOptionEntry({ name: 'a', value: null }), '--a');
  });
});

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

/* ------------------------------------------------------------------------ */
/* 2. Differential test against my_print_defaults                            */

const MY_PRINT_DEFAULTS = 'my_print_defaults';

/** Expected error codes of the err-* corpus files (my_print_defaults must fail on them too). */
const EXPECTED_ERRORS: Record<string, string> = {
  'err-01-option-before-group.cnf': 'OPTION_FILE_SYNTAX',
  'err-02-missing-bracket.cnf': 'OPTION_FILE_SYNTAX',
  'err-03-include-empty.cnf': 'OPTION_FILE_SYNTAX',
  'err-04-includedir-missing.cnf': 'OPTION_FILE_MISSING',
  'err-05-bom.cnf': 'OPTION_FILE_SYNTAX',
  'err-06-includedir-not-a-dir.cnf': 'OPTION_FILE_UNREADABLE',
  'err-07-group-after-error.cnf': 'OPTION_FILE_SYNTAX',
  'err-08-includedir-tilde.cnf': 'OPTION_FILE_MISSING',
};

interface Variant {
  label: string;
  /** my_print_defaults options, before the groups (it wants --defaults-* first). */
  argv: string[];
  settings: OptionFileSettings;
  env?: NodeJS.ProcessEnv;
}

describe('differential: our reader vs my_print_defaults', () => {
  let baseEnv: NodeJS.ProcessEnv = {};

  before(() => {
    const probe = spawnSync(MY_PRINT_DEFAULTS, ['--version'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      throw new Error(
        `${MY_PRINT_DEFAULTS} is required by these tests (apt-get install mariadb-client): ${probe.error?.message ?? probe.stderr}`,
      );
    }
    // A controlled environment for both: no group suffix or MYSQL_HOME leaking in from outside.
    baseEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: corpus, LC_ALL: 'C' };
  });

  function runTheirs(variant: Variant, groups: readonly string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(MY_PRINT_DEFAULTS, [...variant.argv, ...groups], { cwd: corpus, env: { ...baseEnv, ...variant.env } });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
  }

  function runOurs(variant: Variant, groups: readonly string[]): { out: string; result: OptionFilesResult } | { error: unknown } {
    try {
      const result = readOptionFiles(groups, { env: { ...baseEnv, ...variant.env }, cwd: corpus, ...variant.settings });
      return { out: result.entries.map((e) => `${formatOptionEntry(e)}\n`).join(''), result };
    } catch (error) {
      return { error };
    }
  }

  function assertSame(variant: Variant, groups: readonly string[] = GROUPS): OptionFilesResult {
    const theirs = runTheirs(variant, groups);
    const ours = runOurs(variant, groups);
    assert.equal(theirs.status, 0, `${variant.label}: my_print_defaults failed: ${theirs.stderr}`);
    if ('error' in ours) assert.fail(`${variant.label}: we threw where my_print_defaults succeeded: ${String(ours.error)}`);
    assert.equal(ours.out, theirs.stdout, `${variant.label}: output differs`);
    return ours.result;
  }

  function assertBothFail(variant: Variant, code: string, groups: readonly string[] = GROUPS): void {
    const theirs = runTheirs(variant, groups);
    const ours = runOurs(variant, groups);
    assert.notEqual(theirs.status, 0, `${variant.label}: my_print_defaults succeeded: ${theirs.stdout}`);
    if (!('error' in ours))
      assert.fail(`${variant.label}: we succeeded where my_print_defaults failed (${theirs.stderr.trim()}):\n${ours.out}`);
    assert.ok(ours.error instanceof CheckError, `${variant.label}: not a CheckError: ${String(ours.error)}`);
    assert.equal(ours.error.code, code, `${variant.label}: ${ours.error.message}`);
  }

  function variantsFor(file: string): Variant[] {
    return [
      { label: `--defaults-file=${path.basename(file)}`, argv: [`--defaults-file=${file}`], settings: { defaultsFile: file } },
      {
        label: `--defaults-file=${path.basename(file)} --defaults-group-suffix=_ro`,
        argv: [`--defaults-file=${file}`, '--defaults-group-suffix=_ro'],
        settings: { defaultsFile: file, groupSuffix: '_ro' },
      },
      {
        label: `--defaults-extra-file=${path.basename(file)} (with /etc and ~/.my.cnf)`,
        argv: [`--defaults-extra-file=${file}`],
        settings: { defaultsExtraFile: file },
      },
    ];
  }

  const cases = fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.cnf') && fs.statSync(path.join(FIXTURES, f)).isFile())
    .sort();

  test('the corpus has at least 25 accepted files and covers every expected error', () => {
    assert.ok(cases.filter((c) => !c.startsWith('err-')).length >= 25);
    assert.deepEqual(
      cases.filter((c) => c.startsWith('err-')),
      Object.keys(EXPECTED_ERRORS).sort(),
    );
  });

  for (const name of cases) {
    test(name, () => {
      const file = path.join(corpus, name);
      for (const variant of variantsFor(file)) {
        const code = EXPECTED_ERRORS[name];
        if (code) assertBothFail(variant, code);
        else assertSame(variant);
      }
    });
  }

  test('suffix from MYSQL_GROUP_SUFFIX / MARIADB_GROUP_SUFFIX, and their precedence', () => {
    const file = path.join(corpus, '13-suffix-groups.cnf');
    const envs: NodeJS.ProcessEnv[] = [
      { MYSQL_GROUP_SUFFIX: '_rw' },
      { MARIADB_GROUP_SUFFIX: '_ro' },
      { MARIADB_GROUP_SUFFIX: '_ro', MYSQL_GROUP_SUFFIX: '_rw' },
      { MARIADB_GROUP_SUFFIX: '', MYSQL_GROUP_SUFFIX: '_rw' },
    ];
    for (const env of envs) {
      assertSame({ label: JSON.stringify(env), argv: [`--defaults-file=${file}`], settings: { defaultsFile: file }, env });
    }
    assertSame({
      label: 'option beats env',
      argv: [`--defaults-file=${file}`, '--defaults-group-suffix=_rw'],
      settings: { defaultsFile: file, groupSuffix: '_rw' },
      env: { MARIADB_GROUP_SUFFIX: '_ro' },
    });
  });

  test('default files only (no named file): /etc files and ~/.my.cnf', () => {
    const r = assertSame({ label: 'defaults', argv: [], settings: {} });
    assert.ok(r.entries.some((e) => e.name === 'from_home_my_cnf'));
  });

  test('$MYSQL_HOME and $MARIADB_HOME', () => {
    const mh = path.join(corpus, 'inc');
    const extra = path.join(corpus, '01-basic.cnf');
    for (const env of [{ MYSQL_HOME: mh }, { MARIADB_HOME: mh }, { MARIADB_HOME: '', MYSQL_HOME: mh }]) {
      writeFile(path.join(mh, 'my.cnf'), '[client]\nfrom_mysql_home = 1\n');
      try {
        assertSame({ label: JSON.stringify(env), argv: [`--defaults-extra-file=${extra}`], settings: { defaultsExtraFile: extra }, env });
      } finally {
        fs.rmSync(path.join(mh, 'my.cnf'));
      }
    }
  });

  test('--defaults-file wins over --defaults-extra-file', () => {
    const file = path.join(corpus, '01-basic.cnf');
    const extra = path.join(corpus, '11-duplicates.cnf');
    assertSame({
      label: 'both',
      argv: [`--defaults-file=${file}`, `--defaults-extra-file=${extra}`],
      settings: { defaultsFile: file, defaultsExtraFile: extra },
    });
  });

  test('relative and "~/" named files', () => {
    assertSame({ label: 'relative', argv: ['--defaults-file=01-basic.cnf'], settings: { defaultsFile: '01-basic.cnf' } });
    assertSame({ label: 'tilde', argv: ['--defaults-file=~/01-basic.cnf'], settings: { defaultsFile: '~/01-basic.cnf' } });
    assertSame({
      label: 'tilde extra',
      argv: ['--defaults-extra-file=~/16-include.cnf'],
      settings: { defaultsExtraFile: '~/16-include.cnf' },
    });
  });

  test('missing named files: both fail', () => {
    const missing = path.join(corpus, 'does-not-exist.cnf');
    assertBothFail(
      { label: 'missing defaults-file', argv: [`--defaults-file=${missing}`], settings: { defaultsFile: missing } },
      'OPTION_FILE_MISSING',
    );
    assertBothFail(
      { label: 'missing extra file', argv: [`--defaults-extra-file=${missing}`], settings: { defaultsExtraFile: missing } },
      'OPTION_FILE_MISSING',
    );
  });

  test('world-writable files are ignored by both, with a warning', () => {
    const dir = path.join(corpus, 'ww');
    const ww = writeFile(path.join(dir, 'ww.cnf'), '[client]\nfrom_world_writable = 1\n', 0o666);
    assert.equal(fs.statSync(ww).mode & 0o777, 0o666);
    const named = { label: 'world-writable defaults-file', argv: [`--defaults-file=${ww}`], settings: { defaultsFile: ww } };
    const r1 = assertSame(named);
    assert.match(runTheirs(named, GROUPS).stderr, /World-writable config file .* is ignored/);
    assert.deepEqual(r1.warnings, [`World-writable config file '${ww}' is ignored`]);
    const r2 = assertSame({
      label: 'world-writable extra file',
      argv: [`--defaults-extra-file=${ww}`],
      settings: { defaultsExtraFile: ww },
    });
    assert.ok(r2.warnings.some((w) => w.includes('World-writable')));
    const parent = writeFile(path.join(dir, 'parent.cnf'), `[client]\na = 1\n!include ${ww}\n!includedir ${dir}\nb = 2\n`);
    assertSame({ label: 'world-writable include', argv: [`--defaults-file=${parent}`], settings: { defaultsFile: parent } });
  });

  test('where we are deliberately stricter, my_print_defaults accepts (documented divergences)', () => {
    const dir = path.join(corpus, 'strict');
    const cases: Array<[string, Buffer, string]> = [
      ['nul.cnf', Buffer.from('[client]\npassword=a\0b\n'), 'OPTION_FILE_SYNTAX'],
      ['long-line.cnf', Buffer.from(`[client]\npassword=${'x'.repeat(LIMITS.maxLineBytes)}\n`), 'OPTION_FILE_SYNTAX'],
      ['empty-name.cnf', Buffer.from('[client]\n=value\n'), 'OPTION_FILE_SYNTAX'],
    ];
    for (const [name, data, code] of cases) {
      const file = writeFile(path.join(dir, name), data);
      const variant: Variant = { label: name, argv: [`--defaults-file=${file}`], settings: { defaultsFile: file } };
      assert.equal(runTheirs(variant, GROUPS).status, 0, `${name}: my_print_defaults now rejects it; revisit the divergence`);
      const ours = runOurs(variant, GROUPS);
      assert.ok('error' in ours && ours.error instanceof CheckError && ours.error.code === code, `${name}: expected ${code}`);
    }
  });
});

/** Copies the corpus, replacing "@DIR@" by the copy's root and setting modes explicitly. */
function copyCorpus(from: string, to: string, root = to): void {
  fs.mkdirSync(to, { recursive: true });
  fs.chmodSync(to, 0o755);
  const rootBinary = Buffer.from(root, 'utf8').toString('latin1');
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) {
      copyCorpus(src, dst, root);
    } else if (entry.isFile()) {
      const text = fs.readFileSync(src).toString('latin1').split('@DIR@').join(rootBinary);
      writeFile(dst, Buffer.from(text, 'latin1'), 0o644);
    }
  }
}
