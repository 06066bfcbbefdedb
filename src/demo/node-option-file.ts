/**
 * The option file that points the project's executables at one node of the
 * demo pair, pure: [client] for the monitor login (over TCP, as a load
 * balancer's probe connects), [mysql-failover-check] for the peer and the
 * files the walk looks at. Written with mode 0600 by the caller: it holds
 * the monitor password.
 */
import { CheckError } from '../core/errors';

export interface NodeOptionFileSettings {
  /** For the comment at the top: "node a". */
  label: string;
  user: string;
  password: string;
  port: number;
  peerPort: number;
  table: string;
  logFile: string;
  maintenanceFile: string;
  /** More [mysql-failover-check] options (the walk's, e.g. failback=manual); they come last, so they win. */
  extra?: Readonly<Record<string, string>>;
}

/**
 * A value as the MySQL client reads it back: bare when it has only harmless
 * characters, single-quoted when that needs no escape. Anything else is
 * refused rather than escaped: every value here is ours (a random base64url
 * password, a temporary path), so a refusal means a strange TMPDIR.
 */
export function optionValue(name: string, value: string): string {
  if (/^[A-Za-z0-9_.,:/@+=%-]+$/.test(value)) return value;
  if (value !== '' && !/['\\\n\r]/.test(value)) return `'${value}'`;
  throw new CheckError('USAGE', `option ${name}: ${JSON.stringify(value)} cannot be written to an option file`);
}

function line(name: string, value: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new CheckError('USAGE', `bad option name ${JSON.stringify(name)}`);
  return `${name}=${optionValue(name, value)}`;
}

export function nodeOptionFileText(s: NodeOptionFileSettings): string {
  return (
    [
      `# mysql-failover-check demo, ${s.label}: a throwaway MariaDB on 127.0.0.1:${s.port}`,
      '[client]',
      line('user', s.user),
      line('password', s.password),
      line('host', '127.0.0.1'),
      line('port', String(s.port)),
      '',
      '[mysql-failover-check]',
      line('peer', `127.0.0.1:${s.peerPort}`),
      line('table', s.table),
      line('log-file', s.logFile),
      line('maintenance-file', s.maintenanceFile),
      ...Object.entries(s.extra ?? {}).map(([k, v]) => line(k, v)),
    ].join('\n') + '\n'
  );
}
