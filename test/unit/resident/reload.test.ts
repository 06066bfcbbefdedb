/**
 * What a reload reports (src/resident/reload.ts): the options a new
 * configuration changes, by name and never by value, and the log line of
 * each outcome, with the secrets scrubbed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckError } from '../../../src/core/errors';
import { parseArgs } from '../../../src/config/argv';
import { resolveOptions } from '../../../src/config/option-merge';
import { COMMON_OPTIONS } from '../../../src/config/option-specs';
import { checkSettings, type CheckSettings } from '../../../src/config/settings';
import { describeReload, formatReloadLine, settingsChanges } from '../../../src/resident/reload';

function settings(...args: string[]): CheckSettings {
  return checkSettings(resolveOptions(parseArgs(['--no-defaults', '--host=127.0.0.1', ...args], COMMON_OPTIONS), COMMON_OPTIONS));
}

const withPassword = (s: CheckSettings, password: string): CheckSettings => ({
  ...s,
  local: { ...s.local, password },
  peer: s.peer === undefined ? undefined : { ...s.peer, password },
  secrets: [password],
});

test('the same configuration changes nothing', () => {
  assert.deepEqual(settingsChanges(settings('--peer=db2'), settings('--peer=db2')), []);
});

test('each changed option is named once, in a fixed order', () => {
  assert.deepEqual(settingsChanges(settings(), settings('--fresh=5')), ['fresh']);
  assert.deepEqual(settingsChanges(settings('--peer=db2'), settings('--peer=db3', '--timeout=2', '--max-lag=4')), [
    'peer',
    'max-lag',
    'timeout',
  ]);
  assert.deepEqual(settingsChanges(settings(), settings('--down-after=5', '--log-file=/tmp/x.log')), [
    'log-file',
    'state-file',
    'down-after',
    'up-after',
    'failback',
    'flap-limit',
    'flap-window',
    'on-event',
    'hook-timeout',
    'haproxy',
  ]);
  assert.deepEqual(settingsChanges(settings('--peer=auto'), settings('--peer=db2')), ['peer']);
});

test('a new password is a change, named without its value; the peer inherits it', () => {
  const before = withPassword(settings('--peer=db2'), 'old-pw');
  const after = withPassword(settings('--peer=db2'), 'new-pw');
  assert.deepEqual(settingsChanges(before, after), ['password', 'peer-password']);
});

test('the log lines: applied names the options, refused gives the code and the scrubbed reason', () => {
  const now = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
  const s = withPassword(settings(), 's3cret');
  assert.equal(
    formatReloadLine({ kind: 'applied', changed: ['fresh', 'password'], settings: s, previous: s }, 'SIGHUP', 'mfc-serve', now),
    `2024-01-02T03:04:05.678Z mfc-serve pid=${process.pid} reload=applied trigger=SIGHUP changed="fresh,password"\n`,
  );
  assert.equal(
    formatReloadLine({ kind: 'unchanged', settings: s }, 'login-refused', 'mfc-serve', now),
    `2024-01-02T03:04:05.678Z mfc-serve pid=${process.pid} reload=unchanged trigger=login-refused\n`,
  );
  const refused = {
    kind: 'refused' as const,
    error: new CheckError('OPTION_FILE_SYNTAX', 'bad line near s3cret\nin /etc/x.cnf'),
    settings: s,
  };
  const line = formatReloadLine(refused, 'SIGHUP', 'mfc-serve', now);
  assert.match(line, / reload=refused trigger=SIGHUP error=OPTION_FILE_SYNTAX detail="bad line near \S+ in \/etc\/x.cnf"\n$/);
  assert.doesNotMatch(line, /s3cret/);
  assert.equal(line.split('\n').length, 2, 'one line');
  assert.doesNotMatch(describeReload(refused, 'SIGHUP'), /s3cret/);
  assert.match(describeReload(refused, 'SIGHUP'), /^kept the old configuration on SIGHUP: /);
});
