/**
 * Our option-file reader against MariaDB's: every file of
 * test/fixtures/option-files/ is read by src/config/option-file-reader.ts
 * and by Debian's `my_print_defaults`, and the outputs must be identical
 * byte for byte (or both must fail). my_print_defaults must be installed:
 * the test fails, it does not skip, when it is missing.
 *
 * The corpus is copied to a scratch directory first (test/support/
 * option-files.ts): both readers run with it as current directory and as
 * HOME, so relative and "~/" include paths resolve the same for both.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CheckError } from '../../src/core/errors';
import { LIMITS, formatOptionEntry } from '../../src/config/option-file-parser';
import { readOptionFiles, type OptionFileSettings, type OptionFilesResult } from '../../src/config/option-file-reader';
import { corpus, FIXTURES, GROUPS, removeScratch, setUpScratch, writeFile } from '../support/option-files';

before(setUpScratch);
after(removeScratch);

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
