/** --help from the option table (src/config/help.ts): the layout every executable's help shares. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMON_HEADER, FAILOVER_HEADER, helpText } from '../../../src/config/help';
import type { OptionSpec } from '../../../src/config/option-specs';

const SPECS: OptionSpec[] = [
  { name: 'host', short: 'H', kind: 'string', arg: 'HOST', default: 'localhost', help: 'local server', group: 'common' },
  { name: 'node', kind: 'string', arg: 'NAME', defaultText: "the server's server_id", help: 'row of a keyed table', group: 'common' },
  { name: 'password', kind: 'string', help: 'option files only', cli: false, group: 'common' },
  { name: 'down-after', kind: 'string', arg: 'SECONDS', default: '0', help: 'hold UP', group: 'failover' },
  { name: 'help', short: 'h', kind: 'boolean', help: 'show this help', file: false },
];

describe('help', () => {
  test('usage, its own options, its footer, then the shared blocks (one aligned line per option, with its default), then where credentials come from', () => {
    assert.equal(
      helpText('Usage: x [OPTIONS]', SPECS, 'Footer.'),
      [
        'Usage: x [OPTIONS]',
        '',
        'Options:',
        `  ${'-h, --help'.padEnd(34)} show this help`,
        '',
        'Footer.',
        '',
        COMMON_HEADER,
        `  ${'-H, --host HOST'.padEnd(34)} local server (default: localhost)`,
        `  ${'    --node NAME'.padEnd(34)} row of a keyed table (default: the server's server_id)`,
        '',
        FAILOVER_HEADER,
        `  ${'    --down-after SECONDS'.padEnd(34)} hold UP (default: 0)`,
        '',
        'Credentials come from MySQL option files: /etc/my.cnf, /etc/mysql/my.cnf, ~/.my.cnf',
        '(groups [client] and [mysql-failover-check]); never from the command line.',
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
