/** --help from the option table (src/config/help.ts): the layout every executable's help shares. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { helpText } from '../../../src/config/help';
import type { OptionSpec } from '../../../src/config/option-specs';

const SPECS: OptionSpec[] = [
  { name: 'host', short: 'H', kind: 'string', arg: 'HOST', default: 'localhost', help: 'local server' },
  { name: 'node', kind: 'string', arg: 'NAME', defaultText: "the server's server_id", help: 'row of a keyed table' },
  { name: 'password', kind: 'string', help: 'option files only', cli: false },
  { name: 'help', short: 'h', kind: 'boolean', help: 'show this help', file: false },
];

describe('help', () => {
  test('usage, then one aligned line per command-line option with its default, then where credentials come from', () => {
    assert.equal(
      helpText('Usage: x [OPTIONS]', SPECS, 'Footer.'),
      [
        'Usage: x [OPTIONS]',
        '',
        'Options (also settable in the [mysql-failover-check] group of the option files):',
        `  ${'-H, --host HOST'.padEnd(34)} local server (default: localhost)`,
        `  ${'    --node NAME'.padEnd(34)} row of a keyed table (default: the server's server_id)`,
        `  ${'-h, --help'.padEnd(34)} show this help`,
        '',
        'Credentials come from MySQL option files: /etc/my.cnf, /etc/mysql/my.cnf, ~/.my.cnf',
        '(groups [client] and [mysql-failover-check]); never from the command line.',
        '',
        'Footer.',
        '',
      ].join('\n'),
    );
  });

  test('an option kept out of the command line is not offered there', () => {
    assert.doesNotMatch(helpText('Usage: x', SPECS), /--password/);
  });

  test('no footer, no trailing blank section', () => {
    assert.match(helpText('Usage: x', SPECS), /never from the command line\.\n$/);
  });
});
