/**
 * The options, each described once: its name and short form, whether it
 * takes a value, its default, its help line, and where it may be set. The
 * default is the only place a default lives: --help shows it, and
 * option-merge.ts hands it out when the option is given nowhere. Every
 * executable's table starts from COMMON_OPTIONS (src/cli/ adds its own).
 */
import { DEFAULT_TABLE } from '../core/heartbeat';
import { DEFAULT_PORT } from '../io/mysql';

export interface OptionSpec {
  name: string;
  short?: string;
  kind: 'string' | 'boolean';
  /** The value used when the option is given nowhere; --help shows it. */
  default?: string;
  /** For --help only, when the default is not a value (e.g. "the server's server_id"). */
  defaultText?: string;
  arg?: string;
  help: string;
  /** Accepted on the command line (false: option files only, e.g. secrets). */
  cli?: boolean;
  /** Accepted in the [mysql-failover-check] group. */
  file?: boolean;
  /** May be given more than once; every value counts (option-merge.ts `all`). */
  repeatable?: boolean;
  /**
   * Shared by every executable, and listed by --help in a block that is the
   * same everywhere (help.ts), after the executable's own options.
   */
  group?: 'common' | 'failover';
}

/** As with the MySQL client, "localhost" means the unix socket, not TCP. */
export const DEFAULT_HOST = 'localhost';

/** Debian's MariaDB and MySQL packages put the server socket here. */
export const DEFAULT_SOCKET = '/run/mysqld/mysqld.sock';

/** docs/design.md, "The load-balancer verdict": fresh 20 s, max-lag 1 s. */
export const DEFAULT_FRESH = '20';
export const DEFAULT_MAX_LAG = '1';

/** A load balancer probes every few seconds and waits about as long: the LB executables answer within 3 s. */
export const DEFAULT_TIMEOUT = '3';

/** Where the failover state lives when a failover option is set and --state-file is not. */
export const DEFAULT_STATE_FILE = '/var/lib/mysql-failover-check/state.ini';
/** docs/design.md, "Holding a failover": every option off is today's behaviour. */
export const DEFAULT_HOOK_TIMEOUT = '30';
export const DEFAULT_FLAP_WINDOW = '3600';

/**
 * Holding a failover and acting on it (docs/design.md sections 8 and 10):
 * all off by default, and with none of them set no state file is read or
 * written.
 */
export const FAILOVER_OPTIONS: readonly OptionSpec[] = (
  [
    {
      name: 'state-file',
      kind: 'string',
      arg: 'PATH',
      defaultText: `${DEFAULT_STATE_FILE} when an option below is set`,
      help: 'remember the failover state here (an INI file)',
    },
    { name: 'down-after', kind: 'string', arg: 'SECONDS', default: '0', help: 'answer DOWN only once a DOWN condition lasted this long' },
    { name: 'up-after', kind: 'string', arg: 'SECONDS', default: '0', help: 'answer UP again only once the node was fine this long' },
    {
      name: 'failback',
      kind: 'string',
      arg: 'auto|manual',
      default: 'auto',
      help: 'manual: a node that went DOWN stays out until `mysql-failover-check recover`',
    },
    { name: 'flap-limit', kind: 'string', arg: 'N', default: '0', help: 'N DOWN turns within --flap-window latch the node (0: off)' },
    { name: 'flap-window', kind: 'string', arg: 'SECONDS', default: DEFAULT_FLAP_WINDOW, help: 'the window of --flap-limit' },
    {
      name: 'on-event',
      kind: 'string',
      arg: 'CMD',
      repeatable: true,
      help: 'run CMD EVENT NODE FROM TO REASON on each failover event (an absolute path; repeatable)',
    },
    {
      name: 'hook-timeout',
      kind: 'string',
      arg: 'SECONDS',
      default: DEFAULT_HOOK_TIMEOUT,
      help: 'end a hook (SIGTERM, then SIGKILL) after this long',
    },
    {
      name: 'haproxy-socket',
      kind: 'string',
      arg: 'PATH|HOST:PORT',
      repeatable: true,
      help: "push this node's state into HAProxy's runtime API (admin level; repeatable)",
    },
    {
      name: 'haproxy-server',
      kind: 'string',
      arg: 'BACKEND/SERVER',
      repeatable: true,
      help: 'the server this node is in HAProxy (one per --haproxy-socket, or one for all)',
    },
  ] satisfies OptionSpec[]
).map((spec) => ({ ...spec, group: 'failover' as const }));

/** Common options each executable lists among its own in --help: their default or meaning differs by executable. */
const OWN_IN_HELP: ReadonlySet<string> = new Set(['timeout', 'help', 'version']);

/** Options every executable understands (docs/design.md, "Options"). */
export const COMMON_OPTIONS: readonly OptionSpec[] = (
  [
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
    {
      name: 'host',
      short: 'H',
      kind: 'string',
      arg: 'HOST',
      default: DEFAULT_HOST,
      help: 'local server (localhost means the unix socket)',
    },
    { name: 'port', short: 'P', kind: 'string', arg: 'PORT', default: String(DEFAULT_PORT), help: 'local server TCP port' },
    { name: 'socket', short: 'S', kind: 'string', arg: 'PATH', default: DEFAULT_SOCKET, help: 'local server unix socket' },
    {
      name: 'user',
      kind: 'string',
      arg: 'NAME',
      defaultText: 'your login name, as for the mysql client',
      help: 'MySQL user (usually set in the option file)',
    },
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
    { name: 'node', kind: 'string', arg: 'NAME', defaultText: "the server's server_id", help: 'row of a keyed heartbeat table' },
    { name: 'fresh', kind: 'string', arg: 'SECONDS', default: DEFAULT_FRESH, help: 'a heartbeat at most this old is fresh' },
    { name: 'max-lag', kind: 'string', arg: 'SECONDS', default: DEFAULT_MAX_LAG, help: 'replication lag still counted as caught up' },
    { name: 'channel', kind: 'string', arg: 'NAME', help: 'evaluate only this replication channel (default: all)' },
    {
      name: 'timeout',
      kind: 'string',
      arg: 'SECONDS',
      default: DEFAULT_TIMEOUT,
      help: 'answer within this many seconds, whatever the servers do',
    },
    { name: 'maintenance-file', kind: 'string', arg: 'PATH', help: 'while this file exists, answer DOWN (maintenance)' },
    { name: 'log-file', kind: 'string', arg: 'PATH', help: 'append one line per run' },
    ...FAILOVER_OPTIONS,
    { name: 'help', short: 'h', kind: 'boolean', help: 'show this help', file: false },
    { name: 'version', short: 'V', kind: 'boolean', help: 'show the version', file: false },
  ] satisfies OptionSpec[] as OptionSpec[]
).map((spec) => (spec.group !== undefined || OWN_IN_HELP.has(spec.name) ? spec : { ...spec, group: 'common' as const }));

/**
 * The peer's own row of a keyed heartbeat table: `pool` and the plugin's
 * --pool read the peer as its own probe reads itself (docs/pool.md).
 */
export const PEER_NODE_OPTION: OptionSpec = {
  name: 'peer-node',
  kind: 'string',
  arg: 'NAME',
  defaultText: "the peer's server_id",
  help: "pool: the peer's row of a keyed heartbeat table, as its own --node names it",
};

/**
 * Keys that other executables accept in the shared [mysql-failover-check]
 * group: not an error in this one's, only unused. An executable with its own
 * options adds their long names here.
 */
export const OTHER_FILE_KEYS: ReadonlySet<string> = new Set<string>([
  // check_mysql_failover
  'warning',
  'critical',
  'heartbeat-warning',
  'heartbeat-critical',
  // mysql-failover-http / agent
  'agent-maintenance',
  // mysql-failover-check pool, check_mysql_failover --pool
  PEER_NODE_OPTION.name,
]);
