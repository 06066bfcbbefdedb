/**
 * mysql2's and the socket's errors as CheckErrors, pure: classified by
 * `err.code` (mysql2's name for the server's errno, or the socket's errno
 * name), never by message text, which changes with server version and
 * language.
 */
import { CheckError, type ErrorCode } from '../core/errors';

interface MysqlError {
  code?: unknown;
  errno?: unknown;
  sqlState?: unknown;
  message?: unknown;
}

const BY_CODE: Readonly<Record<string, ErrorCode>> = {
  ER_ACCESS_DENIED_ERROR: 'AUTH_FAILED',
  ER_ACCESS_DENIED_NO_PASSWORD_ERROR: 'AUTH_FAILED',
  ER_HOST_NOT_PRIVILEGED: 'AUTH_FAILED',
  ER_HOST_IS_BLOCKED: 'AUTH_FAILED',
  ER_ACCOUNT_HAS_BEEN_LOCKED: 'AUTH_FAILED',
  ER_MUST_CHANGE_PASSWORD_LOGIN: 'AUTH_FAILED',
  ER_NOT_SUPPORTED_AUTH_MODE: 'AUTH_FAILED',
  ER_CON_COUNT_ERROR: 'TOO_MANY_CONNECTIONS',
  ER_TOO_MANY_USER_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  ER_USER_LIMIT_REACHED: 'TOO_MANY_CONNECTIONS',
  ER_NO_SUCH_TABLE: 'NO_SUCH_TABLE',
  ER_BAD_DB_ERROR: 'NO_SUCH_TABLE',
  ER_BAD_FIELD_ERROR: 'BAD_HEARTBEAT_TABLE',
  ER_NO_DEFAULT_FOR_FIELD: 'BAD_HEARTBEAT_TABLE',
  ER_DBACCESS_DENIED_ERROR: 'PRIVILEGE',
  ER_TABLEACCESS_DENIED_ERROR: 'PRIVILEGE',
  ER_COLUMNACCESS_DENIED_ERROR: 'PRIVILEGE',
  ER_SPECIFIC_ACCESS_DENIED_ERROR: 'PRIVILEGE',
  ER_OPTION_PREVENTS_STATEMENT: 'READ_ONLY',
  ER_READ_ONLY_MODE: 'READ_ONLY',
  ER_CANT_UPDATE_WITH_READLOCK: 'LOCK_WAIT',
  ER_CANT_LOCK: 'LOCK_WAIT',
  ER_LOCK_WAIT_TIMEOUT: 'LOCK_WAIT',
  ER_LOCK_DEADLOCK: 'LOCK_WAIT',
  ER_QUERY_INTERRUPTED: 'TIMEOUT',
  ER_STATEMENT_TIMEOUT: 'TIMEOUT',
  ER_QUERY_TIMEOUT: 'TIMEOUT',
  ETIMEDOUT: 'TIMEOUT',
  PROTOCOL_SEQUENCE_TIMEOUT: 'TIMEOUT',
  ER_SERVER_SHUTDOWN: 'CONNECTION_LOST',
  PROTOCOL_CONNECTION_LOST: 'CONNECTION_LOST',
  ECONNRESET: 'CONNECTION_LOST',
  EPIPE: 'CONNECTION_LOST',
  ECONNREFUSED: 'CONNECT_FAILED',
  ENOENT: 'CONNECT_FAILED',
  ENOTFOUND: 'CONNECT_FAILED',
  EAI_AGAIN: 'CONNECT_FAILED',
  EAI_FAIL: 'CONNECT_FAILED',
  EHOSTUNREACH: 'CONNECT_FAILED',
  ENETUNREACH: 'CONNECT_FAILED',
  EADDRNOTAVAIL: 'CONNECT_FAILED',
  EACCES: 'CONNECT_FAILED',
  ENOTSOCK: 'CONNECT_FAILED',
  ECONNABORTED: 'CONNECT_FAILED',
  // The server greeted us: it is alive, only the TLS set-up failed.
  HANDSHAKE_NO_SSL_SUPPORT: 'TLS_FAILED',
  HANDSHAKE_SSL_ERROR: 'TLS_FAILED',
};

/**
 * Turns a mysql2 or socket error into a CheckError. The message keeps the
 * server's errno and code but never anything from our side of the
 * conversation (no password, no SQL text).
 */
export function classifyMysqlError(e: unknown, during: string): CheckError {
  if (e instanceof CheckError) return e;
  const err = (typeof e === 'object' && e !== null ? e : {}) as MysqlError;
  const code = typeof err.code === 'string' ? err.code : 'UNKNOWN';
  const errno = typeof err.errno === 'number' && err.errno > 0 ? err.errno : undefined;
  const serverMessage = typeof err.message === 'string' ? err.message : String(e);
  const kind: ErrorCode = BY_CODE[code] ?? (errno !== undefined && errno < 4000 && errno >= 1000 ? 'QUERY_FAILED' : 'CONNECT_FAILED');
  const label = errno !== undefined ? `${code} (${errno})` : code;
  const text = errno !== undefined ? `${during}: ${label}: ${serverMessage}` : `${during}: ${label}`;
  return new CheckError(kind, text, errno === undefined ? { cause: e } : { cause: e, serverErrno: errno });
}
