/**
 * The only module that imports mysql2: a connection with a deadline on every
 * step, and the classification of mysql2's errors by `err.code` (never by
 * message text, which changes with server version and language).
 */
import type * as mysql2 from 'mysql2';
import { CheckError, type ErrorCode } from '../core/errors';
import { Deadline, withDeadline } from '../core/deadline';

export interface Endpoint {
  /** TCP host; ignored when `socket` is set. */
  host?: string | undefined;
  port?: number | undefined;
  /** Unix socket path. */
  socket?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
}

/** The MySQL port, where an endpoint names none. */
export const DEFAULT_PORT = 3306;
/** The TCP host, where an endpoint names none (and no socket). */
export const DEFAULT_TCP_HOST = '127.0.0.1';

export type Row = Record<string, unknown>;

/** How people and logs name an endpoint: `socket PATH`, `HOST:PORT`, `[V6]:PORT`. */
export function describeEndpoint(e: Endpoint): string {
  if (e.socket !== undefined) return `socket ${e.socket}`;
  const host = e.host ?? DEFAULT_TCP_HOST;
  return `${host.includes(':') ? `[${host}]` : host}:${e.port ?? DEFAULT_PORT}`;
}

export interface Session {
  query(sql: string, params: readonly unknown[], deadline: Deadline): Promise<Row[]>;
  execute(sql: string, params: readonly unknown[], deadline: Deadline): Promise<{ affectedRows: number }>;
  ping(deadline: Deadline): Promise<void>;
  /** Ends the session without waiting (COM_QUIT if possible, then the socket is destroyed). */
  close(): void;
}

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

let driver: typeof mysql2 | undefined;

/**
 * mysql2 is loaded on first use: it is most of a run's start-up cost, and
 * answers that need no database (maintenance, a malformed HTTP request, a
 * bad option) should not pay it.
 */
function loadDriver(): typeof mysql2 {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  driver ??= require('mysql2') as typeof mysql2;
  return driver;
}

/** Opens a session; rejects with a CheckError, at the latest at the deadline. */
export function connect(endpoint: Endpoint, deadline: Deadline, role: string): Promise<Session> {
  if (deadline.expired()) return Promise.reject(new CheckError('TIMEOUT', `${role}: deadline passed before connecting`));
  const options: mysql2.ConnectionOptions = {
    user: endpoint.user,
    password: endpoint.password,
    connectTimeout: Math.max(1, deadline.remaining()),
    // Rows are small; strings for DECIMAL/dates keep parsing cheap and lossless.
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    multipleStatements: false,
    // Session.execute sends a text query, never a prepared statement, so
    // mysql2's statement cache stays empty: 1, not its default 16000, which
    // allocates ~0.5 MB per connection up front (and a young-generation GC).
    maxPreparedStatements: 1,
  };
  if (endpoint.socket !== undefined) options.socketPath = endpoint.socket;
  else {
    options.host = endpoint.host ?? DEFAULT_TCP_HOST;
    options.port = endpoint.port ?? DEFAULT_PORT;
  }

  const conn = loadDriver().createConnection(options);
  let closed = false;
  const destroy = (): void => {
    if (closed) return;
    closed = true;
    try {
      conn.destroy();
    } catch {
      // already gone
    }
  };
  // A fatal error with no command waiting is emitted as 'error'; unhandled, it would crash the process.
  conn.on('error', () => destroy());

  /** One client/server exchange under the deadline; a server error becomes a classified CheckError. */
  const command = <T>(what: string, dl: Deadline, start: (settle: (err: unknown, value: T) => void) => void): Promise<T> =>
    withDeadline(
      dl,
      `${role}: ${what}`,
      () =>
        new Promise<T>((resolve, reject) =>
          start((err, value) => (err ? reject(classifyMysqlError(err, `${role}: ${what}`)) : resolve(value))),
        ),
      destroy,
    );

  const session: Session = {
    query(sql, params, dl) {
      return command<Row[]>('query', dl, (settle) =>
        conn.query({ sql, values: params as unknown[] }, (err, rows) => settle(err, Array.isArray(rows) ? (rows as Row[]) : [])),
      );
    },
    execute(sql, params, dl) {
      return command<{ affectedRows: number }>('statement', dl, (settle) =>
        conn.query({ sql, values: params as unknown[] }, (err, result) => {
          const affected = (result as { affectedRows?: unknown } | undefined)?.affectedRows;
          settle(err, { affectedRows: typeof affected === 'number' ? affected : 0 });
        }),
      );
    },
    ping(dl) {
      return command<void>('ping', dl, (settle) => conn.ping((err) => settle(err, undefined)));
    },
    close() {
      if (closed) return;
      // COM_QUIT lets the server free the thread at once; destroy() follows so
      // we never wait for the server to acknowledge.
      try {
        conn.end(() => destroy());
      } catch {
        // ignored: destroy below
      }
      setImmediate(destroy);
    },
  };

  return command<Session>('connect', deadline, (settle) =>
    conn.connect((err) => {
      if (err) destroy();
      settle(err, session);
    }),
  );
}
