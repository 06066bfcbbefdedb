/**
 * The command line merged with the option files and the defaults
 * (src/config/option-merge.ts): precedence, what each group may hold, the
 * errors an operator sees, and defaults that come from the option table.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from '../../../src/config/argv';
import { resolveOptions, valueOf, withValue, type ResolvedOptions } from '../../../src/config/option-merge';
import { COMMON_OPTIONS, DEFAULT_SOCKET, type OptionSpec } from '../../../src/config/option-specs';
import { CheckError } from '../../../src/core/errors';

let dir = '';
let n = 0;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'option-merge-'));
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** An option file with `text`, mode 0600 as a file holding a password should be. */
function optionFile(text: string): string {
  const file = path.join(dir, `${++n}.cnf`);
  fs.writeFileSync(file, text, { mode: 0o600 });
  return file;
}

function resolve(argv: string[], specs: readonly OptionSpec[] = COMMON_OPTIONS): ResolvedOptions {
  return resolveOptions(parseArgs(argv, specs), specs);
}

function withFile(text: string, argv: string[] = []): ResolvedOptions {
  return resolve([`--defaults-file=${optionFile(text)}`, ...argv]);
}

describe('precedence', () => {
  test('the command line wins over the option files', () => {
    assert.equal(withFile('[mysql-failover-check]\nhost = db1\n', ['--host', 'db2']).get('host'), 'db2');
  });

  test('in the files a later line wins, whichever of our groups it is in', () => {
    assert.equal(withFile('[mysql-failover-check]\nhost = db1\n[client]\nhost = db2\n').get('host'), 'db2');
    assert.equal(withFile('[client]\nhost = db2\n[mysql-failover-check]\nhost = db1\n').get('host'), 'db1');
  });

  test('given nowhere: the default of the option table; has() tells the two apart', () => {
    const o = resolve(['--no-defaults']);
    assert.equal(o.get('socket'), DEFAULT_SOCKET);
    assert.equal(o.get('fresh'), '20');
    assert.equal(o.has('fresh'), false);
    assert.equal(o.get('peer'), undefined);
    assert.equal(withFile('[mysql-failover-check]\nfresh = 5\n').has('fresh'), true);
    assert.equal(resolve(['--no-defaults', '--fresh', '5']).has('fresh'), true);
  });

  test('a boolean on the command line reads "true"', () => {
    assert.equal(resolve(['--no-defaults']).get('no-defaults'), 'true');
  });
});

describe('groups', () => {
  test('[client] gives only the connection options: the group is shared with every MySQL program', () => {
    const o = withFile('[client]\nuser = monitor\npassword = pw\nport = 3307\nsocket = /s\nfresh = 5\nbogus = 1\n');
    assert.equal(o.get('user'), 'monitor');
    assert.equal(o.get('password'), 'pw');
    assert.equal(o.get('port'), '3307');
    assert.equal(o.get('socket'), '/s');
    assert.equal(o.get('fresh'), '20', 'fresh in [client] is not ours');
  });

  test('[mysql-failover-check]: names as the MySQL client matches them, - and _ alike, any case', () => {
    assert.equal(withFile('[mysql-failover-check]\nMAX_LAG = 3\n').get('max-lag'), '3');
  });

  test('[mysql-failover-check]: an unknown option is an error naming the file and line', () => {
    const file = optionFile('[mysql-failover-check]\n\nbogus = 1\n');
    assert.throws(
      () => resolve([`--defaults-file=${file}`]),
      (e: unknown) =>
        e instanceof CheckError && e.code === 'USAGE' && e.message === `unknown option 'bogus' in [mysql-failover-check] of ${file} line 3`,
    );
  });

  test('loose-NAME and the options of the other executables are accepted and unused', () => {
    const o = withFile('[mysql-failover-check]\nloose-bogus = 1\nwarning = 5\nagent-maintenance = drain\n');
    assert.equal(o.get('bogus'), undefined);
    assert.equal(o.get('warning'), undefined);
  });

  test('an option the table keeps out of the files (file: false) is an error there', () => {
    assert.throws(() => withFile('[mysql-failover-check]\ndefaults-file = /x\n'), { code: 'USAGE' });
  });

  test('a bare name: true for a boolean, ignored for an option that needs a value', () => {
    const specs: OptionSpec[] = [...COMMON_OPTIONS, { name: 'flag', kind: 'boolean', help: 'a flag' }];
    const o = resolveOptions(parseArgs([`--defaults-file=${optionFile('[mysql-failover-check]\nflag\nhost\n')}`], specs), specs);
    assert.equal(o.get('flag'), 'true');
    assert.equal(o.get('host'), 'localhost');
    assert.equal(o.has('host'), false);
  });

  test('--defaults-group-suffix adds the suffixed groups', () => {
    assert.equal(withFile('[mysql-failover-check_b]\nhost = db-b\n', ['--defaults-group-suffix=_b']).get('host'), 'db-b');
    assert.equal(withFile('[mysql-failover-check_b]\nhost = db-b\n').get('host'), 'localhost');
  });
});

describe('files', () => {
  test('the files read are reported; --no-defaults reads none', () => {
    const file = optionFile('[client]\nuser = m\n');
    assert.deepEqual(resolve([`--defaults-file=${file}`]).filesRead, [file]);
    assert.deepEqual(resolve(['--no-defaults']).filesRead, []);
  });

  test('an explicitly named file that is missing is OPTION_FILE_MISSING', () => {
    assert.throws(() => resolve([`--defaults-file=${path.join(dir, 'nonexistent.cnf')}`]), { code: 'OPTION_FILE_MISSING' });
  });

  test('a world-writable file is ignored with a warning, as the MySQL client does', () => {
    const file = optionFile('[client]\nuser = m\n');
    fs.chmodSync(file, 0o666);
    const o = resolve([`--defaults-file=${file}`]);
    assert.equal(o.get('user'), undefined);
    assert.ok(
      o.warnings.some((w) => w.includes(file)),
      o.warnings.join('\n'),
    );
  });
});

describe('reading one option differently', () => {
  test('withValue: that option reads the value given, the others and has() are untouched', () => {
    const o = resolve(['--no-defaults', '--host', 'db1']);
    const w = withValue(o, 'timeout', '30');
    assert.equal(w.get('timeout'), '30');
    assert.equal(w.get('host'), 'db1');
    assert.equal(w.has('timeout'), false);
    assert.equal(w.has('host'), true);
  });

  test('valueOf: an option with a default always has a value; one without is an internal error', () => {
    const o = resolve(['--no-defaults']);
    assert.equal(valueOf(o, 'table'), 'mysql_failover.heartbeat');
    assert.throws(() => valueOf(o, 'peer'), { code: 'INTERNAL' });
  });
});
