/**
 * The only module that imports mysql2: a connection with a deadline on every
 * step; its errors are classified by mysql-errors.ts.
 */
import type * as mysql2 from 'mysql2';
import { CheckError } from '../core/errors';
import { Deadline, withDeadline } from '../core/deadline';
import { classifyMysqlError } from './mysql-errors';

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
    // mysql2's generic row parser, not one generated with `new Function`
    // for every result set: generated code is compiled afresh in every
    // process (no code cache holds it), a few ms of a single-shot run.
    disableEval: true,
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
      // we never wait for the server to acknowledge. Not as end()'s callback:
      // mysql2 calls that before it writes COM_QUIT, so the socket was gone
      // first, the server counted an aborted connection (Aborted_clients)
      // and the refused write built a Node error (~1 ms) at every close.
      try {
        conn.end();
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
