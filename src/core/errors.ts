/**
 * Every failure the library reports is a CheckError with a stable `code`, so an
 * executable can map it to an exit code or an answer without reading messages.
 */
export type ErrorCode =
  | 'USAGE' // a bad option or option value
  | 'OPTION_FILE_MISSING' // an explicitly named option file does not exist
  | 'OPTION_FILE_UNREADABLE' // exists but cannot be read (permissions, a directory, ...)
  | 'OPTION_FILE_SYNTAX' // a line the MySQL client would also reject
  | 'OPTION_FILE_TOO_LARGE' // bigger than we are willing to read
  | 'CONNECT_FAILED' // TCP/socket connect refused, unreachable, DNS failure, handshake broken
  | 'TLS_FAILED' // the server greeted, but the TLS negotiation failed
  | 'AUTH_FAILED' // the server refused the credentials
  | 'TIMEOUT' // a deadline passed
  | 'TOO_MANY_CONNECTIONS'
  | 'PRIVILEGE' // the server refused a statement for lack of a privilege
  | 'READ_ONLY' // the server refused a write because it is read-only
  | 'LOCK_WAIT' // a lock wait passed its bound
  | 'NO_SUCH_TABLE'
  | 'BAD_HEARTBEAT_TABLE' // the table does not have the expected shape
  | 'QUERY_FAILED' // any other server-side error
  | 'CONNECTION_LOST' // the server went away mid-check
  | 'HTTP_BAD_REQUEST'
  | 'STDOUT_CLOSED' // the reader of our stdout went away (`... | head -1`): not an error of ours
  | 'STATE_UNREADABLE' // the failover state file exists but cannot be read (permissions, a directory, I/O)
  | 'STATE_CORRUPT' // the failover state file was read but is not a complete, valid state
  | 'STATE_IDENTITY' // the failover state file belongs to another node (another endpoint or table)
  | 'STATE_UNWRITABLE' // the failover state file or its lock cannot be written (missing directory, permissions)
  | 'STATE_BUSY' // another process held the state file's lock until the deadline
  | 'HAPROXY_UNREACHABLE' // HAProxy's runtime API: socket missing, refused, closed without an answer, or timed out
  | 'HAPROXY_DENIED' // the runtime API socket is not at admin level ("Permission denied")
  | 'HAPROXY_NO_SUCH_SERVER' // the backend or server named is not in HAProxy's running configuration
  | 'HAPROXY_ERROR' // any other runtime API answer we did not expect
  | 'MISSING_PROGRAM' // a program a command runs is not installed (the message says how to install it)
  | 'INTERNAL';

export class CheckError extends Error {
  readonly code: ErrorCode;
  /** The server's numeric error code (e.g. 1045), when the server sent one. */
  readonly serverErrno: number | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; serverErrno?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CheckError';
    this.code = code;
    this.serverErrno = options?.serverErrno;
  }
}

export function isCheckError(e: unknown): e is CheckError {
  return e instanceof CheckError;
}

/** Wraps anything thrown into a CheckError without losing the original. */
export function toCheckError(e: unknown): CheckError {
  if (e instanceof CheckError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new CheckError('INTERNAL', message, { cause: e });
}
