/**
 * mysql2's and the socket's errors as CheckErrors (src/io/mysql-errors.ts):
 * the class comes from `err.code` (and the server's errno), never from the
 * message text, and the message keeps the server's words but nothing of ours.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckError, type ErrorCode } from '../../../src/core/errors';
import { classifyMysqlError } from '../../../src/io/mysql-errors';

/** An error shaped as mysql2 hands them over. */
function mysqlError(code: string, errno?: number, message = 'server says no'): Error {
  return Object.assign(new Error(message), { code, ...(errno === undefined ? {} : { errno }) });
}

describe('classification by code', () => {
  const cases: Array<[string, number | undefined, ErrorCode]> = [
    ['ER_ACCESS_DENIED_ERROR', 1045, 'AUTH_FAILED'],
    ['ER_HOST_IS_BLOCKED', 1129, 'AUTH_FAILED'],
    ['ER_CON_COUNT_ERROR', 1040, 'TOO_MANY_CONNECTIONS'],
    ['ER_NO_SUCH_TABLE', 1146, 'NO_SUCH_TABLE'],
    ['ER_BAD_DB_ERROR', 1049, 'NO_SUCH_TABLE'],
    ['ER_BAD_FIELD_ERROR', 1054, 'BAD_HEARTBEAT_TABLE'],
    ['ER_TABLEACCESS_DENIED_ERROR', 1142, 'PRIVILEGE'],
    ['ER_SPECIFIC_ACCESS_DENIED_ERROR', 1227, 'PRIVILEGE'],
    ['ER_OPTION_PREVENTS_STATEMENT', 1290, 'READ_ONLY'],
    ['ER_CANT_UPDATE_WITH_READLOCK', 1223, 'LOCK_WAIT'],
    ['ER_LOCK_WAIT_TIMEOUT', 1205, 'LOCK_WAIT'],
    ['ER_QUERY_INTERRUPTED', 1317, 'TIMEOUT'],
    ['ER_SERVER_SHUTDOWN', 1053, 'CONNECTION_LOST'],
    ['PROTOCOL_CONNECTION_LOST', undefined, 'CONNECTION_LOST'],
    ['PROTOCOL_SEQUENCE_TIMEOUT', undefined, 'TIMEOUT'],
    ['ETIMEDOUT', undefined, 'TIMEOUT'],
    ['ECONNRESET', undefined, 'CONNECTION_LOST'],
    ['ECONNREFUSED', undefined, 'CONNECT_FAILED'],
    ['ENOENT', undefined, 'CONNECT_FAILED'],
    ['ENOTFOUND', undefined, 'CONNECT_FAILED'],
    ['EHOSTUNREACH', undefined, 'CONNECT_FAILED'],
  ];
  for (const [code, errno, kind] of cases) {
    test(`${code} is ${kind}`, () => {
      const e = classifyMysqlError(mysqlError(code, errno), 'local server: query');
      assert.ok(e instanceof CheckError);
      assert.equal(e.code, kind);
      assert.equal(e.serverErrno, errno);
    });
  }

  test('the message does not decide: a code wins over words that suggest another class', () => {
    assert.equal(
      classifyMysqlError(mysqlError('ER_NO_SUCH_TABLE', 1146, 'Access denied, timeout, lost connection'), 'q').code,
      'NO_SUCH_TABLE',
    );
  });
});

describe('codes not in the table', () => {
  test('a server error (errno 1000 to 3999) is QUERY_FAILED, with the errno kept', () => {
    assert.equal(classifyMysqlError(mysqlError('ER_PARSE_ERROR', 1064), 'q').code, 'QUERY_FAILED');
    assert.equal(classifyMysqlError(mysqlError('ER_SOMETHING_NEW', 1000), 'q').code, 'QUERY_FAILED');
    assert.equal(classifyMysqlError(mysqlError('ER_SOMETHING_NEW', 3999), 'q').serverErrno, 3999);
  });

  test('anything else (no errno, or outside the server range) is CONNECT_FAILED', () => {
    assert.equal(classifyMysqlError(mysqlError('EWHATEVER'), 'q').code, 'CONNECT_FAILED');
    assert.equal(classifyMysqlError(mysqlError('ER_CLIENT_SIDE', 999), 'q').code, 'CONNECT_FAILED');
    assert.equal(classifyMysqlError(mysqlError('CR_SOMETHING', 4000), 'q').code, 'CONNECT_FAILED');
    assert.equal(classifyMysqlError('a string', 'q').code, 'CONNECT_FAILED');
    assert.equal(classifyMysqlError(undefined, 'q').code, 'CONNECT_FAILED');
  });

  test('a negative errno (Node puts the socket errno there) counts as none', () => {
    const e = classifyMysqlError(mysqlError('ECONNREFUSED', -111, 'connect ECONNREFUSED 10.0.0.2:3306'), 'peer: connect');
    assert.equal(e.serverErrno, undefined);
    assert.equal(e.message, 'peer: connect: ECONNREFUSED');
  });
});

describe('the message', () => {
  test("with a server errno: what was being done, code and errno, and the server's words", () => {
    const e = classifyMysqlError(
      mysqlError('ER_ACCESS_DENIED_ERROR', 1045, "Access denied for user 'm'@'localhost'"),
      'local server: connect',
    );
    assert.equal(e.message, "local server: connect: ER_ACCESS_DENIED_ERROR (1045): Access denied for user 'm'@'localhost'");
  });

  test("without one: what was being done and the code only (a socket error's text names addresses)", () => {
    assert.equal(
      classifyMysqlError(mysqlError('ETIMEDOUT', undefined, 'connect ETIMEDOUT 10.0.0.2:3306'), 'peer: connect').message,
      'peer: connect: ETIMEDOUT',
    );
    assert.equal(classifyMysqlError({}, 'peer: ping').message, 'peer: ping: UNKNOWN');
  });

  test('the original error is the cause; a CheckError passes through unchanged', () => {
    const original = mysqlError('ER_LOCK_WAIT_TIMEOUT', 1205);
    assert.equal(classifyMysqlError(original, 'q').cause, original);
    const already = new CheckError('TIMEOUT', 'local server: query: no answer within the deadline');
    assert.equal(classifyMysqlError(already, 'q'), already);
  });
});
