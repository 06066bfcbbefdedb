/**
 * Command line plus option files -> validated settings. The same options work
 * on every executable and in the `[mysql-failover-check]` group of the option
 * files, so an snmpd `extend` line can be just the executable's path.
 *
 * Precedence: command line, then the option files in the order the MySQL
 * client reads them (a later line wins, whichever of our groups it is in).
 */
import minimist from 'minimist';
import { CheckError } from './errors';
import type { Endpoint } from './mysql';
import type { Thresholds } from './decide';
import { DEFAULT_TABLE, parseTableName, validateNodeName, type TableName } from './heartbeat';
import { normaliseOptionName, readOptionFiles, type OptionFileSettings } from './option-files';

export const TOOL_GROUP = 'mysql-failover-check';
/** The MySQL client's groups first, then ours. */
export const OPTION_GROUPS: readonly string[] = ['client', TOOL_GROUP];

/** Debian's MariaDB and MySQL packages put the server socket here. */
export const DEFAULT_SOCKET = '/run/mysqld/mysqld.sock';

export interface OptionSpec {
  name: string;
  short?: string;
  kind: 'string' | 'boolean';
  /** Shown in --help; the value used when the option is not given. */
  default?: string;
  arg?: string;
  help: string;
  /** Accepted on the command line (false: option files only, e.g. secrets). */
  cli?: boolean;
  /** Accepted in the [mysql-failover-check] group. */
  file?: boolean;
}

/** Options every executable understands (design.md section 5). */
export const COMMON_OPTIONS: readonly OptionSpec[] = [
  { name: 'defaults-file', kind: 'string', arg: 'PATH', help: 'read only this option file', file: false },
  {
    name: 'defaults-extra-file',
    kind: 'string',
    arg: 'PATH',
    help: 'read this option file too, after the global ones and before ~/.my.cnf',
    file: false,
  },
  {
    name: 'defaults-group-suffix',
    kind: 'string',
    arg: 'SUFFIX',
    help: 'also read the groups [client<SUFFIX>] and [mysql-failover-check<SUFFIX>]',
    file: false,
  },
  { name: 'no-defaults', kind: 'boolean', help: 'read no option file', file: false },
  { name: 'host', short: 'H', kind: 'string', arg: 'HOST', default: 'localhost', help: 'local server (localhost means the unix socket)' },
  { name: 'port', short: 'P', kind: 'string', arg: 'PORT', default: '3306', help: 'local server TCP port' },
  { name: 'socket', short: 'S', kind: 'string', arg: 'PATH', default: DEFAULT_SOCKET, help: 'local server unix socket' },
  { name: 'user', kind: 'string', arg: 'NAME', help: 'MySQL user (usually set in the option file)' },
  { name: 'password', kind: 'string', help: 'option files only', cli: false },
  {
    name: 'peer',
    kind: 'string',
    arg: 'HOST[:PORT]|auto',
    help: 'the other node of the pair (TCP); auto: the source of the replication channel',
  },
  { name: 'peer-socket', kind: 'string', arg: 'PATH', help: 'the other node of the pair (unix socket)' },
  { name: 'peer-user', kind: 'string', arg: 'NAME', help: 'user for the peer (default: the local user)' },
  { name: 'peer-password', kind: 'string', help: 'option files only', cli: false },
  { name: 'table', kind: 'string', arg: 'DB.TABLE', default: DEFAULT_TABLE, help: 'heartbeat table' },
  { name: 'node', kind: 'string', arg: 'NAME', default: 'the server\'s server_id', help: 'row of a keyed heartbeat table' },
  { name: 'fresh', kind: 'string', arg: 'SECONDS', default: '20', help: 'a heartbeat at most this old is fresh' },
  { name: 'max-lag', kind: 'string', arg: 'SECONDS', default: '1', help: 'replication lag still counted as caught up' },
  { name: 'channel', kind: 'string', arg: 'NAME', help: 'evaluate only this replication channel (default: all)' },
  { name: 'timeout', kind: 'string', arg: 'SECONDS', default: '3', help: 'answer within this many seconds, whatever the servers do' },
  { name: 'maintenance-file', kind: 'string', arg: 'PATH', help: 'while this file exists, answer DOWN (maintenance)' },
  { name: 'log-file', kind: 'string', arg: 'PATH', help: 'append one line per run' },
  { name: 'help', short: 'h', kind: 'boolean', help: 'show this help', file: false },
  { name: 'version', short: 'V', kind: 'boolean', help: 'show the version', file: false },
];

/**
 * Keys that other executables accept in the shared [mysql-failover-check]
 * group: not an error in this one's, only unused. An executable with its own
 * options adds their long names here.
 */
const OTHER_FILE_KEYS: ReadonlySet<string> = new Set<string>([
  // check_mysql_failover
  'warning',
  'critical',
  'heartbeat-warning',
  'heartbeat-critical',
  // mysql-failover-http / agent
  'agent-maintenance',
]);

export interface ParsedArgs {
  /** Option values by long name; command line only. */
  values: Map<string, string | boolean>;
  positionals: string[];
}

/** Parses argv strictly: unknown options and passwords are rejected. */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  for (const a of argv) {
    if (a === '--') break;
    if (/^--password(=|$)/.test(a) || /^--peer-password(=|$)/.test(a) || /^-p/.test(a)) {
      throw new CheckError('USAGE', 'passwords are read from option files only, never from the command line');
    }
  }
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short !== undefined).map((s) => [s.short as string, s]));
  const unknown: string[] = [];
  // minimist reads `--no-x` as x=false and `--a.b` as a nested object; rename the
  // one negated option we have, and reject the rest below.
  const args = argv.map((a) => (a === '--no-defaults' ? '--no_defaults_flag' : a));
  const parsed = minimist(args as string[], {
    string: specs.filter((s) => s.kind === 'string').flatMap((s) => (s.short ? [s.name, s.short] : [s.name])),
    boolean: [
      ...specs.filter((s) => s.kind === 'boolean').flatMap((s) => (s.short ? [s.name, s.short] : [s.name])),
      'no_defaults_flag',
    ],
    alias: Object.fromEntries(specs.filter((s) => s.short !== undefined).map((s) => [s.short as string, s.name])),
    unknown: (arg: string) => {
      if (arg.startsWith('-') && arg !== '-') {
        unknown.push(arg);
        return false;
      }
      return true;
    },
  });
  if (unknown.length > 0) {
    throw new CheckError('USAGE', `unknown option ${unknown[0]}`);
  }
  const values = new Map<string, string | boolean>();
  for (const [key, raw] of Object.entries(parsed)) {
    if (key === '_') continue;
    if (key === 'no_defaults_flag') {
      if (raw === true) values.set('no-defaults', true);
      continue;
    }
    if (byShort.has(key) && !byName.has(key)) continue; // the alias copy
    const spec = byName.get(key);
    if (spec === undefined) throw new CheckError('USAGE', `unknown option --${key}`);
    if (spec.cli === false) throw new CheckError('USAGE', `--${key} may only be set in an option file`);
    // A repeated option: the last one wins, as with the MySQL client.
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (spec.kind === 'boolean') {
      if (typeof value !== 'boolean') throw new CheckError('USAGE', `--${key} takes no value`);
      if (value) values.set(key, true);
    } else {
      if (typeof value !== 'string') throw new CheckError('USAGE', `--${key} needs a value`);
      if (value === '') throw new CheckError('USAGE', `--${key} needs a value`);
      values.set(key, value);
    }
  }
  return { values, positionals: parsed._.map(String) };
}

export interface ResolvedOptions {
  /** Long name -> value; command line over option files. */
  get(name: string): string | undefined;
  has(name: string): boolean;
  warnings: string[];
  filesRead: string[];
}

function optionFileSettings(cli: Map<string, string | boolean>): OptionFileSettings {
  const s: OptionFileSettings = {};
  const df = cli.get('defaults-file');
  const dx = cli.get('defaults-extra-file');
  const gs = cli.get('defaults-group-suffix');
  if (typeof df === 'string') s.defaultsFile = df;
  if (typeof dx === 'string') s.defaultsExtraFile = dx;
  if (typeof gs === 'string') s.groupSuffix = gs;
  if (cli.get('no-defaults') === true) s.noDefaults = true;
  return s;
}

/**
 * Merges the command line with the option files. In [client] only the
 * connection options are ours (the group is shared with every MySQL
 * program); in [mysql-failover-check] an unknown option is an error, as it
 * is for the MySQL client, unless written `loose-NAME`.
 */
export function resolveOptions(args: ParsedArgs, specs: readonly OptionSpec[]): ResolvedOptions {
  const fileAllowed = new Set(specs.filter((s) => s.file !== false).map((s) => s.name));
  const result = readOptionFiles(OPTION_GROUPS, optionFileSettings(args.values));
  const clientKeys = new Set(['host', 'port', 'socket', 'user', 'password']);
  const fromFiles = new Map<string, string>();
  for (const entry of result.entries) {
    // MariaDB >= 10.11 matches option names case-insensitively, '-' and '_' alike.
    let name = normaliseOptionName(entry.name);
    let loose = false;
    if (name.startsWith('loose-')) {
      loose = true;
      name = name.slice('loose-'.length);
    }
    const isToolGroup = entry.group.toLowerCase().startsWith(TOOL_GROUP);
    if (!isToolGroup) {
      if (!clientKeys.has(name) || entry.value === null) continue;
      fromFiles.set(name, entry.value);
      continue;
    }
    if (!fileAllowed.has(name)) {
      if (loose || OTHER_FILE_KEYS.has(name)) continue;
      throw new CheckError('USAGE', `unknown option '${name}' in [${entry.group}] of ${entry.file} line ${entry.line}`);
    }
    if (entry.value === null) {
      const spec = specs.find((s) => s.name === name);
      if (spec?.kind === 'boolean') fromFiles.set(name, 'true');
      continue;
    }
    fromFiles.set(name, entry.value);
  }
  return {
    get(name) {
      const v = args.values.get(name);
      if (typeof v === 'string') return v;
      if (v === true) return 'true';
      return fromFiles.get(name);
    },
    has(name) {
      return args.values.has(name) || fromFiles.has(name);
    },
    warnings: result.warnings,
    filesRead: result.filesRead,
  };
}

export function parseSeconds(name: string, text: string, opts: { min: number; max: number }): number {
  if (!/^\d+(\.\d+)?$/.test(text.trim())) {
    throw new CheckError('USAGE', `--${name} must be a number of seconds, got ${JSON.stringify(text)}`);
  }
  const n = Number(text);
  if (!Number.isFinite(n) || n > opts.max || n < opts.min) {
    throw new CheckError('USAGE', `--${name} must be between ${opts.min} and ${opts.max} seconds, got ${JSON.stringify(text)}`);
  }
  return n;
}

export function parsePort(name: string, text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new CheckError('USAGE', `--${name} must be a TCP port (1-65535), got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/** `HOST`, `HOST:PORT`, `[V6]` or `[V6]:PORT`. */
export function parseHostPort(name: string, text: string, defaultPort: number): { host: string; port: number } {
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$/.exec(text);
  if (v6) return { host: v6[1] as string, port: v6[2] === undefined ? defaultPort : parsePort(name, v6[2]) };
  const m = /^([A-Za-z0-9._-]+)(?::(\d+))?$/.exec(text);
  if (!m) throw new CheckError('USAGE', `--${name} must be HOST[:PORT], got ${JSON.stringify(text)}`);
  return { host: m[1] as string, port: m[2] === undefined ? defaultPort : parsePort(name, m[2]) };
}

/** The passwords the options hold: scrubbed from anything printed or logged. */
export function optionSecrets(o: ResolvedOptions): string[] {
  return [o.get('password'), o.get('peer-password')].filter((p): p is string => p !== undefined && p.length > 0);
}

export interface CheckSettings {
  local: Endpoint;
  peer: Endpoint | undefined;
  /** --peer auto: the credentials for the peer, whose address every check takes from the replication source. */
  peerAuto: { user: string | undefined; password: string | undefined } | undefined;
  table: TableName;
  node: string | undefined;
  thresholds: Thresholds;
  timeoutMs: number;
  maintenanceFile: string | undefined;
  logFile: string | undefined;
  /** Secrets to scrub from anything we print or log. */
  secrets: string[];
}

/** The settings of a check, validated before any connection is made. */
export function checkSettings(o: ResolvedOptions, defaults: { timeout: string }): CheckSettings {
  const user = o.get('user');
  const password = o.get('password');
  const host = o.get('host');
  const socket = o.get('socket');
  const port = parsePort('port', o.get('port') ?? '3306');
  // As with the MySQL client, "localhost" (or no host) means the unix socket.
  const local: Endpoint =
    host === undefined || host === 'localhost'
      ? { socket: socket ?? DEFAULT_SOCKET, user, password }
      : { host: parseHostPort('host', host, port).host, port, user, password };

  let peer: Endpoint | undefined;
  let peerAuto: CheckSettings['peerAuto'];
  const peerUser = o.get('peer-user') ?? user;
  const peerPassword = o.get('peer-password') ?? password;
  const peerSocket = o.get('peer-socket');
  const peerHost = o.get('peer');
  if (peerSocket !== undefined && peerHost !== undefined) {
    throw new CheckError('USAGE', '--peer and --peer-socket are exclusive');
  }
  if (peerSocket !== undefined) peer = { socket: peerSocket, user: peerUser, password: peerPassword };
  else if (peerHost === 'auto') peerAuto = { user: peerUser, password: peerPassword };
  else if (peerHost !== undefined) {
    const hp = parseHostPort('peer', peerHost, 3306);
    peer = { host: hp.host, port: hp.port, user: peerUser, password: peerPassword };
  }

  const node = o.get('node');
  const channel = o.get('channel');
  if (channel !== undefined && channel.length > 64) throw new CheckError('USAGE', '--channel is at most 64 characters');
  return {
    local,
    peer,
    peerAuto,
    table: parseTableName(o.get('table') ?? DEFAULT_TABLE),
    node: node === undefined ? undefined : validateNodeName(node),
    thresholds: {
      fresh: parseSeconds('fresh', o.get('fresh') ?? '20', { min: 0, max: 31_536_000 }),
      maxLag: parseSeconds('max-lag', o.get('max-lag') ?? '1', { min: 0, max: 31_536_000 }),
      channel,
    },
    timeoutMs: Math.round(
      parseSeconds('timeout', o.get('timeout') ?? defaults.timeout, { min: 0.1, max: 3600 }) * 1000,
    ),
    maintenanceFile: o.get('maintenance-file'),
    logFile: o.get('log-file'),
    secrets: optionSecrets(o),
  };
}

/** Replaces every secret in a text by ***: error texts must never carry a password. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 1) out = out.split(s).join('***');
  return out;
}

export function helpText(usage: string, specs: readonly OptionSpec[], footer = ''): string {
  const lines = [usage, '', 'Options (also settable in the [mysql-failover-check] group of the option files):'];
  for (const s of specs) {
    if (s.cli === false) continue;
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.arg ? ` ${s.arg}` : ''}`;
    const def = s.default !== undefined ? ` (default: ${s.default})` : '';
    lines.push(`  ${flag.padEnd(34)} ${s.help}${def}`);
  }
  lines.push(
    '',
    'Credentials come from MySQL option files: /etc/my.cnf, /etc/mysql/my.cnf, ~/.my.cnf',
    '(groups [client] and [mysql-failover-check]); never from the command line.',
  );
  if (footer) lines.push('', footer);
  return lines.join('\n') + '\n';
}
