/**
 * The option-file syntax (src/config/option-file-parser.ts), one rule at a
 * time: inline text through parseOptionFileText, and the names the entries
 * keep. The same rules meet MariaDB's own reader in
 * test/e2e/my-print-defaults.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { CheckError } from '../../../src/core/errors';
import {
  LIMITS,
  formatOptionEntry,
  normaliseOptionName,
  optionValues,
  parseOptionFileText,
  type OptionFileItem,
} from '../../../src/config/option-file-parser';
import { assertCheckError, FIXTURES, GROUPS, readIsolated, removeScratch, setUpScratch } from '../../support/option-files';

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

before(setUpScratch);
after(removeScratch);

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
