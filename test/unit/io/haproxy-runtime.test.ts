/**
 * The pure parts of the HAProxy runtime API client, edge by edge: the
 * address and BACKEND/SERVER options, the srv_admin_state bit mask, and
 * `show servers state` parsed by its header (answers recorded from HAProxy
 * 2.6). The socket side is in test/e2e/haproxy-runtime.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  adminStateFromMask,
  formatRuntimeAddress,
  parseRuntimeAddress,
  parseServerRef,
  parseServersState,
} from '../../../src/io/haproxy-runtime';
import { CheckError } from '../../../src/core/errors';

function assertCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof CheckError && e.code === code);
}

describe('parseRuntimeAddress', () => {
  const good: Array<[string, unknown]> = [
    ['/run/haproxy/admin.sock', { socket: '/run/haproxy/admin.sock' }],
    ['/tmp/with space.sock', { socket: '/tmp/with space.sock' }],
    ['127.0.0.1:9999', { host: '127.0.0.1', port: 9999 }],
    ['lb-1.example.net:1', { host: 'lb-1.example.net', port: 1 }],
    ['localhost:65535', { host: 'localhost', port: 65535 }],
    ['[::1]:9999', { host: '::1', port: 9999 }],
    ['[2001:db8::7]:80', { host: '2001:db8::7', port: 80 }],
  ];
  for (const [text, want] of good) {
    test(`${text} is accepted`, () => assert.deepEqual(parseRuntimeAddress(text), want));
  }
  const bad = [
    '',
    'admin.sock',
    './admin.sock',
    'unix@/run/haproxy/admin.sock',
    '127.0.0.1',
    '127.0.0.1:',
    ':9999',
    '127.0.0.1:0',
    '127.0.0.1:65536',
    '127.0.0.1:123456',
    '127.0.0.1:99x',
    '::1:9999',
    '[::1]',
    '[zz::1]:80',
    '[127.0.0.1]:80',
    'host name:80',
    'host;rm:80',
    '/run/a\0b',
  ];
  for (const text of bad) {
    test(`${JSON.stringify(text)} is USAGE`, () => assertCode(() => parseRuntimeAddress(text), 'USAGE'));
  }
  test('formatRuntimeAddress gives back what was parsed, brackets included', () => {
    for (const text of ['/run/haproxy/admin.sock', '127.0.0.1:9999', 'lb:1', '[::1]:9999']) {
      assert.equal(formatRuntimeAddress(parseRuntimeAddress(text)), text);
    }
  });
});

describe('parseServerRef', () => {
  test('BACKEND/SERVER with every character of the charset', () => {
    assert.deepEqual(parseServerRef('mysql/s1'), { backend: 'mysql', server: 's1' });
    assert.deepEqual(parseServerRef('be-1.x:y_Z/srv_2.a-b:c'), { backend: 'be-1.x:y_Z', server: 'srv_2.a-b:c' });
  });
  for (const text of ['', 'mysql', '/s1', 'mysql/', 'a/b/c', 'my sql/s1', 'a;b/c', 'a/b;shutdown', 'a/b\n', 'a/b\tc', 'é/s1', '#1/s1']) {
    test(`${JSON.stringify(text)} is USAGE`, () => assertCode(() => parseServerRef(text), 'USAGE'));
  }
});

describe('adminStateFromMask (srv_admin_state)', () => {
  const cases: Array<[number, string, string]> = [
    [0x00, 'ready', 'no flag'],
    [0x01, 'maint', 'FMAINT'],
    [0x02, 'maint', 'IMAINT'],
    [0x04, 'ready', 'CMAINT alone: configured disabled, then set ready'],
    [0x05, 'maint', 'FMAINT|CMAINT: `disabled` in the configuration'],
    [0x08, 'drain', 'FDRAIN'],
    [0x10, 'drain', 'IDRAIN'],
    [0x20, 'maint', 'RMAINT'],
    [0x40, 'ready', 'HMAINT is not a state'],
    [0x09, 'maint', 'maintenance wins over drain'],
    [0x0c, 'drain', 'CMAINT|FDRAIN'],
    [0x18, 'drain', 'FDRAIN|IDRAIN'],
  ];
  for (const [mask, want, why] of cases) {
    test(`0x${mask.toString(16)} is ${want} (${why})`, () => assert.equal(adminStateFromMask(mask), want));
  }
});

describe('parseServersState', () => {
  const HEADER =
    '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change ' +
    'srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn ' +
    'srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port';
  // Recorded from HAProxy 2.6.12: s1 forced maint, s2 `disabled` then set ready, s3 drained and DOWN by its check.
  const ANSWER = [
    '1',
    HEADER,
    '2 be1 1 s1 127.0.0.1 0 1 1 1 0 1 0 0 0 0 0 0 - 1 - 0 0 - - 0',
    '2 be1 2 s2 127.0.0.1 2 4 1 1 0 1 0 0 8 0 0 0 - 1 - 0 0 - - 0',
    '2 be1 3 s3 127.0.0.1 0 8 1 1 0 8 2 0 6 0 0 0 - 1 - 0 0 - - 0',
    '',
    '',
  ].join('\n');

  test('each row of a recorded answer', () => {
    assert.deepEqual(parseServersState(ANSWER, { backend: 'be1', server: 's1' }), { admin: 'maint', operational: 'stopped', adminMask: 1 });
    assert.deepEqual(parseServersState(ANSWER, { backend: 'be1', server: 's2' }), { admin: 'ready', operational: 'running', adminMask: 4 });
    assert.deepEqual(parseServersState(ANSWER, { backend: 'be1', server: 's3' }), { admin: 'drain', operational: 'stopped', adminMask: 8 });
  });

  test('a server or backend not in the answer is undefined', () => {
    assert.equal(parseServersState(ANSWER, { backend: 'be1', server: 's9' }), undefined);
    assert.equal(parseServersState(ANSWER, { backend: 'be2', server: 's1' }), undefined);
    // A name equal to another column's value is not a match: columns are by name.
    assert.equal(parseServersState(ANSWER, { backend: '127.0.0.1', server: 's1' }), undefined);
  });

  test('columns are found by name: another order, extra columns, another version line', () => {
    const answer = ['2', '# srv_admin_state extra srv_name srv_op_state be_name', '8 x s1 3 be1', ''].join('\n');
    assert.deepEqual(parseServersState(answer, { backend: 'be1', server: 's1' }), {
      admin: 'drain',
      operational: 'stopping',
      adminMask: 8,
    });
  });

  test('an operational state this version does not know is kept as its number', () => {
    const answer = ['1', '# be_name srv_name srv_op_state srv_admin_state', 'be1 s1 7 0'].join('\n');
    assert.equal(parseServersState(answer, { backend: 'be1', server: 's1' })?.operational, '7');
  });

  test('no header, a missing column, or a non-numeric state is HAPROXY_ERROR', () => {
    assertCode(() => parseServersState('Unknown command.\n', { backend: 'be1', server: 's1' }), 'HAPROXY_ERROR');
    assertCode(
      () => parseServersState('1\n# be_name srv_name srv_op_state\nbe1 s1 2\n', { backend: 'be1', server: 's1' }),
      'HAPROXY_ERROR',
    );
    assertCode(
      () => parseServersState('1\n# be_name srv_name srv_op_state srv_admin_state\nbe1 s1 2 x\n', { backend: 'be1', server: 's1' }),
      'HAPROXY_ERROR',
    );
  });
});
