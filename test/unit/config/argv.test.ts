/** The strict command-line parser (src/config/argv.ts): what it takes, and every way it refuses. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../../../src/config/argv';
import { COMMON_OPTIONS, type OptionSpec } from '../../../src/config/option-specs';
import { CheckError } from '../../../src/core/errors';

function usageError(argv: string[], message: RegExp, specs: readonly OptionSpec[] = COMMON_OPTIONS): void {
  assert.throws(
    () => parseArgs(argv, specs),
    (e: unknown) => e instanceof CheckError && e.code === 'USAGE' && message.test(e.message),
    JSON.stringify(argv),
  );
}

describe('command line', () => {
  test('long options, short aliases, values after = or as the next word; positionals kept in order', () => {
    const r = parseArgs(['status', '-H', 'db1', '--port=3307', '--table', 'a.b', 'extra'], COMMON_OPTIONS);
    assert.deepEqual(Object.fromEntries(r.values), { host: 'db1', port: '3307', table: 'a.b' });
    assert.deepEqual(r.positionals, ['status', 'extra']);
  });

  test('a repeated option: the last one wins, as with the MySQL client', () => {
    assert.equal(parseArgs(['--port', '1', '-P', '2', '--port=3'], COMMON_OPTIONS).values.get('port'), '3');
  });

  test('booleans are true when given and absent otherwise; --no-defaults is an option, not a negation', () => {
    const r = parseArgs(['--no-defaults', '-h'], COMMON_OPTIONS);
    assert.equal(r.values.get('no-defaults'), true);
    assert.equal(r.values.get('help'), true);
    assert.equal(r.values.has('version'), false);
    assert.equal(r.values.has('defaults'), false);
  });

  test("nothing given, nothing set: defaults are the merge step's business", () => {
    const r = parseArgs([], COMMON_OPTIONS);
    assert.equal(r.values.size, 0);
    assert.deepEqual(r.positionals, []);
  });

  test('passwords are refused in every spelling, before anything else is looked at', () => {
    for (const argv of [
      ['--password=x'],
      ['--password', 'x'],
      ['--password'],
      ['--peer-password=x'],
      ['-px'],
      ['-p'],
      ['--bogus', '--password=x'],
    ]) {
      usageError(argv, /^passwords are read from option files only, never from the command line$/);
    }
  });

  test('after --, nothing is an option: a password-looking word is a positional', () => {
    assert.deepEqual(parseArgs(['--', '--password=x'], COMMON_OPTIONS).positionals, ['--password=x']);
  });

  test('an unknown option is named in the error, long or short', () => {
    usageError(['--bogus'], /^unknown option --bogus$/);
    usageError(['-x'], /^unknown option -x$/);
    usageError(['--a.b=1'], /^unknown option --a\.b=1$/);
  });

  test('a string option without a value, or with an empty one, is refused', () => {
    usageError(['--host'], /^--host needs a value$/);
    usageError(['--host='], /^--host needs a value$/);
    usageError(['-H'], /^--host needs a value$/);
  });

  test('an option the table keeps out of the command line (cli: false) is refused by name', () => {
    const specs: OptionSpec[] = [{ name: 'token', kind: 'string', help: 'option files only', cli: false }];
    usageError(['--token=abc'], /^--token may only be set in an option file$/, specs);
  });
});
