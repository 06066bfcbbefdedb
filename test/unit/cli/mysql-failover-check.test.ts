/**
 * The command line of `mysql-failover-check demo`: its three options, only
 * with demo, --stop alone, and none of the probe options (demo writes its
 * own option files).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine } from '../../../src/cli/mysql-failover-check';
import { isCheckError } from '../../../src/core/errors';

const usage = (argv: string[], re: RegExp) =>
  assert.throws(
    () => parseCommandLine(argv),
    (e: unknown) => isCheckError(e) && e.code === 'USAGE' && re.test(e.message),
  );

describe('demo on the command line', () => {
  test('demo, with --step and --keep together, or --stop alone', () => {
    assert.deepEqual(parseCommandLine(['demo']), { name: 'demo', json: false, step: false, keep: false, stop: false });
    assert.deepEqual(parseCommandLine(['demo', '--step', '--keep']), { name: 'demo', json: false, step: true, keep: true, stop: false });
    assert.deepEqual(parseCommandLine(['--stop', 'demo']), { name: 'demo', json: false, step: false, keep: false, stop: true });
  });

  test('--stop goes alone', () => {
    usage(['demo', '--stop', '--keep'], /--stop goes alone/);
    usage(['demo', '--stop', '--step'], /--stop goes alone/);
  });

  test("the probes' options are not demo's, and demo's not theirs", () => {
    usage(['demo', '--defaults-file=/etc/x.cnf'], /--defaults-file is not for demo/);
    usage(['demo', '--json'], /--json is not for demo/);
    usage(['demo', 'now'], /unexpected argument "now"/);
    usage(['status', '--keep'], /--keep is for demo/);
    usage(['--step'], /--step is for demo/);
  });

  test('--help names demo and its options', () => {
    const help = parseCommandLine(['--help']);
    assert.equal(help.name, 'help');
    const text = help.name === 'help' ? help.text : '';
    assert.match(text, /demo \[OPTIONS\] +see it work on a throwaway MariaDB pair \(--step, --keep\)/);
    for (const o of ['--step', '--keep', '--stop']) assert.match(text, new RegExp(`\\n\\s+${o}\\s+demo: `));
  });
});
