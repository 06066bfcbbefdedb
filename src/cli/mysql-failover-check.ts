/**
 * mysql-failover-check, the executable for people at a shell: its options,
 * its help, the shape of its command line, and the commands status, serve
 * and oid (setup is in setup.ts). bin/mysql-failover-check.ts dispatches.
 */
import { CheckError, toCheckError, type ErrorCode } from '../core/errors';
import { Deadline } from '../core/deadline';
import { parseArgs, type ParsedArgs } from '../config/argv';
import { helpText } from '../config/help';
import { resolveOptions, valueOf, withValue, type ResolvedOptions } from '../config/option-merge';
import { COMMON_OPTIONS, PEER_NODE_OPTION, type OptionSpec } from '../config/option-specs';
import { checkSettings, optionSecrets } from '../config/settings';
import { logDecision, logFileProblem } from '../io/log-file';
import { probe } from '../probe/probe';
import { hookJob, logFailover, operatorJob } from '../probe/act';
import { recoverNode } from '../probe/recover';
import type { HookJob } from '../io/hook-job';
import { logTransitions } from '../io/transition-log';
import { userInfo } from 'node:os';
import { AGENT_MAINTENANCE_OPTION, parseMaintenanceState } from '../answers/agent';
import { extendOids } from '../answers/oid';
import { formatStatusText, statusJson, type StatusInput } from '../answers/status';
import { formatPoolText, poolJson } from '../answers/pool';
import { checkPool } from '../probe/pool';
import { validateNodeName } from '../core/heartbeat';
import { CACHE_OPTION, parseCacheMs } from '../resident/engine';
import { parseListenAddress, serve, type ListenAddress } from '../resident/serve';
import { describeReload } from '../resident/reload';
import { INTERVAL_OPTION, parseIntervalMs } from '../resident/watcher';
import { VERSION } from './executable';
import { DEFAULT_MONITOR_ACCOUNT, formatSetupReport, parseAccount, poolAccounts, setUp, SETUP_DEFAULT_TIMEOUT } from '../probe/setup';
import type { Terminal } from './terminal';
import type { DemoCommand } from './demo';

const DEMO_OPTIONS: readonly OptionSpec[] = [
  { name: 'step', kind: 'boolean', help: 'demo: wait for Enter between steps', file: false },
  { name: 'keep', kind: 'boolean', help: 'demo: leave the pair running afterwards, and say how to use it', file: false },
  { name: 'stop', kind: 'boolean', help: 'demo: stop the pair demo --keep left running', file: false },
];

export const TOOL = 'mysql-failover-check';

export const EXIT_OK = 0;
export const EXIT_DOWN = 1;
export const EXIT_USAGE = 2;

const CLI_ONLY: readonly OptionSpec[] = [
  { name: 'json', kind: 'boolean', help: 'status/pool/oid: print JSON instead of text', file: false },
  {
    name: 'stamp',
    kind: 'boolean',
    help: 'status: stamp the heartbeat when the verdict says so, as the load balancer probe does',
    file: false,
  },
  {
    name: 'monitor-user',
    kind: 'string',
    arg: 'USER[@HOST]',
    default: DEFAULT_MONITOR_ACCOUNT,
    help: 'setup: the account the printed GRANTs are for',
    file: false,
  },
  {
    name: 'pool-user',
    kind: 'string',
    arg: 'USER@HOST',
    repeatable: true,
    defaultText: "--monitor-user's name at the --host and --peer addresses",
    help: 'setup: an account pool on the other node logs in with, for read-only GRANTs (repeatable)',
    file: false,
  },
  {
    name: 'force',
    kind: 'boolean',
    help: 'recover: without checking that the node caught up, and over an unusable state file',
    file: false,
  },
  { name: 'http', kind: 'string', arg: 'HOST:PORT', help: 'serve: answer HTTP health checks here', file: false },
  { name: 'agent', kind: 'string', arg: 'HOST:PORT', help: 'serve: answer HAProxy agent checks here', file: false },
  { ...CACHE_OPTION, help: "serve: reuse a check's verdict this long (0: never)" },
  { ...INTERVAL_OPTION, help: `serve: ${INTERVAL_OPTION.help}` },
  { ...AGENT_MAINTENANCE_OPTION, help: `serve: ${AGENT_MAINTENANCE_OPTION.help}` },
  ...DEMO_OPTIONS,
];

const SERVE_ONLY = ['http', 'agent', 'cache', 'interval', 'agent-maintenance'] as const;
const DEMO_ONLY = DEMO_OPTIONS.map((s) => s.name);

export const CLI_OPTIONS: readonly OptionSpec[] = [
  ...COMMON_OPTIONS.filter((s) => s.name !== 'help' && s.name !== 'version').map((s) =>
    s.name === 'timeout' ? { ...s, help: `give up after this many seconds; setup: ${SETUP_DEFAULT_TIMEOUT} unless given` } : s,
  ),
  PEER_NODE_OPTION,
  ...CLI_ONLY,
  ...COMMON_OPTIONS.filter((s) => s.name === 'help' || s.name === 'version'),
];

const USAGE = `Usage: ${TOOL} [status] [OPTIONS]     the facts and the decision path (--json, --stamp)
       ${TOOL} pool [--json]        both nodes side by side: which would take traffic, and why
       ${TOOL} setup [OPTIONS]      create the heartbeat table if missing, print the GRANTs
       ${TOOL} serve [OPTIONS]      stay resident, answer probes (--http, --agent)
       ${TOOL} recover [--force]    let a node latched as failed take traffic again
       ${TOOL} oid NAME [--json]    numeric OIDs for snmpd's "extend NAME"
       ${TOOL} demo [OPTIONS]       see it work on a throwaway MariaDB pair (--step, --keep)
       ${TOOL} demo --stop          stop the pair that demo --keep left running

status: what the load balancer is told now and why, read-only: the stamp is
  tried in a transaction that is rolled back (--stamp: acts as a probe, logs).
pool: both nodes side by side, each judged with the other as its peer; which
  would take traffic; read-only, within --timeout even with a node frozen.
setup: with an administrator's option file, on one node: creates the heartbeat
  table (and its state columns) when missing, never writes a row, and prints
  the GRANTs as SQL (--monitor-user's, read-only ones for --pool-user).
serve: one process answering HTTP (GET /metrics too) and agent checks from
  kept sessions, one check at a time reused for --cache; --interval evaluates
  in the background, never stamping; SIGHUP re-reads the option files without
  closing the listeners (a file that does not parse is refused); SIGTERM stops.
recover: ends the latch of --failback manual or --flap-limit, only when the
  node would be UP by itself (--force: anyway); records who ran it.
demo: the scenarios on a throwaway MariaDB pair on 127.0.0.1, with the real
  executables (as root it installs mariadb-server if missing); removed at the
  end, also on Ctrl-C.`;

const FOOTER = `Exit status: 0 UP (or done; serve: stopped by SIGTERM/SIGINT), 1 DOWN (or setup failed,
or serve could not listen, or recover refused, or a demo answer was not what its
step expects), 2 usage or configuration error (demo: also MariaDB missing and not
root; the command to install it is printed).
pool: 0 both nodes would take traffic and nothing is flagged, 1 degraded (only one
would, or something is flagged), 3 no node would (or pool could not find out), 2 usage.`;

const SHORT_USAGE = `Try '${TOOL} --help'.`;

export type Command =
  | { name: 'help'; text: string }
  | { name: 'version'; text: string }
  | { name: 'oid'; extendName: string; json: boolean }
  | ({ name: 'demo'; json: false } & DemoCommand)
  | { name: 'status' | 'setup' | 'serve' | 'recover' | 'pool'; args: ParsedArgs; json: boolean };

function usage(message: string): never {
  throw new CheckError('USAGE', message);
}

/**
 * The shape of the command line: which command, with which arguments, and
 * options only where they mean something. Throws CheckError('USAGE').
 */
export function parseCommandLine(argv: readonly string[]): Command {
  const args = parseArgs(argv, CLI_OPTIONS);
  const json = args.values.get('json') === true;
  if (args.values.get('help') === true) return { name: 'help', text: helpText(USAGE, CLI_OPTIONS, FOOTER) };
  if (args.values.get('version') === true) return { name: 'version', text: `${TOOL} ${VERSION}\n` };
  const [command = 'status', ...rest] = args.positionals;
  if (command === 'oid') {
    if (rest.length !== 1) usage('oid takes exactly one extend name, e.g. `oid mysql_failover`');
    return { name: 'oid', extendName: rest[0] as string, json };
  }
  const demoOnly = DEMO_ONLY.find((name) => args.values.has(name));
  if (command === 'demo') return demoCommand(args, rest);
  if (demoOnly !== undefined) usage(`--${demoOnly} is for demo`);
  if (command !== 'status' && command !== 'setup' && command !== 'serve' && command !== 'recover' && command !== 'pool') {
    usage(`unknown command ${JSON.stringify(command)}`);
  }
  if (command === 'pool' && args.values.get('stamp') === true) usage('pool never stamps: --stamp is for status');
  if (command !== 'pool' && args.values.has(PEER_NODE_OPTION.name)) usage('--peer-node is for pool');
  if (command !== 'recover' && args.values.has('force')) usage('--force is for recover');
  if (command === 'recover' && (json || args.values.get('stamp') === true)) usage('--json and --stamp are for status');
  if (rest.length > 0) usage(`unexpected argument ${JSON.stringify(rest[0])}`);
  if (command === 'setup' && (json || args.values.get('stamp') === true)) usage('--json and --stamp are for status');
  if (command !== 'setup' && args.values.has('monitor-user')) usage('--monitor-user is for setup');
  if (command !== 'setup' && args.values.has('pool-user')) usage('--pool-user is for setup');
  if (command === 'serve' && (json || args.values.get('stamp') === true)) usage('--json and --stamp are for status');
  const serveOnly = SERVE_ONLY.find((name) => args.values.has(name));
  if (command !== 'serve' && serveOnly !== undefined) usage(`--${serveOnly} is for serve`);
  return { name: command, args, json };
}

/** demo takes its own three options and nothing else: it brings its own option files. */
function demoCommand(args: ParsedArgs, rest: readonly string[]): Command {
  if (rest.length > 0) usage(`unexpected argument ${JSON.stringify(rest[0])}`);
  const other = [...args.values.keys()].find((name) => !DEMO_ONLY.includes(name));
  if (other !== undefined) usage(`--${other} is not for demo (it writes its own option files)`);
  const flag = (name: string): boolean => args.values.get(name) === true;
  if (flag('stop') && (flag('step') || flag('keep'))) usage('--stop goes alone: it stops the pair a demo --keep left running');
  return { name: 'demo', json: false, step: flag('step'), keep: flag('keep'), stop: flag('stop') };
}

/** demo: its modules (the pair, the walk) are loaded only for it. */
export function runDemo(command: DemoCommand, terminal: Terminal): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { demo } = require('./demo') as typeof import('./demo');
  return demo(command, terminal);
}

/** Errors in what the operator wrote (options, option files) are usage errors (2). */
const CONFIG_ERRORS: ReadonlySet<ErrorCode> = new Set([
  'USAGE',
  'OPTION_FILE_MISSING',
  'OPTION_FILE_UNREADABLE',
  'OPTION_FILE_SYNTAX',
  'OPTION_FILE_TOO_LARGE',
]);

/** Reports a failure (also as JSON with --json) and returns its exit status. */
export function reportFailure(terminal: Terminal, e: unknown, json: boolean): number {
  const err = toCheckError(e);
  // `... | head -1`: whoever read what they wanted; nothing to report.
  if (err.code === 'STDOUT_CLOSED') return EXIT_OK;
  if (json) terminal.json({ error: { code: err.code, message: err.message } });
  terminal.err(`${TOOL}: ${err.message}\n${err.code === 'USAGE' ? `${SHORT_USAGE}\n` : ''}`);
  return CONFIG_ERRORS.has(err.code) ? EXIT_USAGE : EXIT_DOWN;
}

export function runOid(command: { extendName: string; json: boolean }, terminal: Terminal): number {
  const oids = extendOids(command.extendName);
  if (command.json) terminal.out(JSON.stringify(oids, null, 2) + '\n');
  else for (const o of oids) terminal.out(`${o.numeric}  ${o.symbolic}  ${o.what}\n`);
  return EXIT_OK;
}

/** The option files read once for status, setup and serve; their warnings go to stderr. */
export function readOptions(args: ParsedArgs, terminal: Terminal): ResolvedOptions {
  const options = resolveOptions(args, CLI_OPTIONS);
  terminal.scrub(optionSecrets(options));
  for (const w of options.warnings) terminal.err(`${TOOL}: ${w}\n`);
  return options;
}

/** status: the LB's verdict and why, without stamping unless --stamp (then with the LB's log line). */
export async function runStatus(
  options: ResolvedOptions,
  command: { args: ParsedArgs; json: boolean },
  startedAt: number,
  terminal: Terminal,
): Promise<number> {
  const settings = checkSettings(options);
  const stampRequested = command.args.values.get('stamp') === true;
  const failover = { mode: stampRequested ? ('write' as const) : ('read' as const), actor: 'probe' as const };
  const result = await probe(settings, { stamp: stampRequested, trialStamp: true, alwaysReadReplication: true, failover }, startedAt);
  const input: StatusInput = {
    ...result,
    stampRequested,
    logFileProblem: settings.logFile === undefined ? undefined : logFileProblem(settings.logFile),
  };
  if (command.json) terminal.json(statusJson(input, settings), 2);
  else terminal.out(formatStatusText(input, settings));
  if (stampRequested) {
    // Then it is a load-balancer probe: its log line, its transitions, its hooks.
    if (settings.logFile !== undefined) logDecision(settings.logFile, TOOL, input.decision, Date.now() - startedAt, settings.secrets);
    logFailover(TOOL, settings, result);
    startJob(hookJob(settings, result, TOOL));
  }
  return input.decision.verdict === 'UP' ? EXIT_OK : EXIT_DOWN;
}

/** Hooks and HAProxy pushes, detached: nothing here waits for them. */
function startJob(job: HookJob | undefined): void {
  if (job === undefined) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startDetachedHooks } = require('../io/hook-job') as typeof import('../io/hook-job');
  startDetachedHooks(job);
}

/** Who ran recover: the account behind sudo, else this one. */
function operatorName(): string {
  const sudo = process.env['SUDO_USER'];
  if (sudo !== undefined && sudo !== '') return sudo;
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

/** recover: 0 when the latch is gone, 1 when refused (not caught up, nothing to recover). */
export async function runRecover(
  options: ResolvedOptions,
  command: { args: ParsedArgs },
  startedAt: number,
  terminal: Terminal,
): Promise<number> {
  const settings = checkSettings(options);
  const force = command.args.values.get('force') === true;
  const outcome = await recoverNode(settings, { force, by: operatorName(), startedAt });
  if (!outcome.ok) {
    terminal.err(`${TOOL} recover: refused: ${outcome.why}\n`);
    return EXIT_DOWN;
  }
  const t = outcome.transition;
  terminal.out(`recovered: ${t.from} -> ${t.to} by ${outcome.state.recovered?.by ?? '?'} at ${new Date(t.at).toISOString()}\n`);
  if (outcome.check !== undefined) terminal.out(`the node: ${outcome.check.verdict} (${outcome.check.reason}): ${outcome.check.detail}\n`);
  if (settings.logFile !== undefined) logTransitions(settings.logFile, TOOL, [t]);
  startJob(operatorJob(settings, outcome.events, outcome.state.verdict, TOOL));
  return EXIT_OK;
}

/** pool's exit statuses beside EXIT_USAGE (--help's footer). */
export const EXIT_POOL_DEGRADED = 1;
export const EXIT_POOL_NONE = 3;

/** pool: both nodes side by side; exits 0 all good, 1 degraded, 3 none would take traffic (or not known). */
export async function runPool(
  options: ResolvedOptions,
  command: { json: boolean },
  startedAt: number,
  terminal: Terminal,
): Promise<number> {
  try {
    const settings = checkSettings(options);
    const peerNode = options.get(PEER_NODE_OPTION.name);
    const result = await checkPool(settings, { peerNode: peerNode === undefined ? undefined : validateNodeName(peerNode), startedAt });
    if (command.json) terminal.json(poolJson(result), 2);
    else terminal.out(formatPoolText(result));
    if (result.summary.pool === 'none') return EXIT_POOL_NONE;
    return result.summary.pool === 'both' && result.summary.flags.length === 0 ? EXIT_OK : EXIT_POOL_DEGRADED;
  } catch (e) {
    // Not knowing is reported as the worst case, never as a pair in service.
    const code = reportFailure(terminal, e, command.json);
    return code === EXIT_USAGE ? code : EXIT_POOL_NONE;
  }
}

/** setup: what is missing is created, the GRANTs printed; a failure on the server exits 1. */
export async function runSetup(options: ResolvedOptions, startedAt: number, terminal: Terminal): Promise<number> {
  // setup's own default: --timeout's is a probe's.
  const settings = checkSettings(options.has('timeout') ? options : withValue(options, 'timeout', SETUP_DEFAULT_TIMEOUT));
  const account = parseAccount(valueOf(options, 'monitor-user'));
  const readers = poolAccounts(account, options.all('pool-user'), settings.local, settings.peer);
  const deadline = new Deadline(startedAt + settings.timeoutMs);
  try {
    const report = await setUp(settings.local, settings.table, account, deadline, readers);
    terminal.out(formatSetupReport(report, settings.table, account));
    return EXIT_OK;
  } catch (e) {
    terminal.err(`${TOOL} setup: ${toCheckError(e).message}\n`);
    return EXIT_DOWN;
  }
}

/** serve: until SIGTERM/SIGINT; rejects when a listener cannot be bound. `args` are read again on SIGHUP. */
export async function runServe(options: ResolvedOptions, args: ParsedArgs, terminal: Terminal): Promise<number> {
  const settings = checkSettings(options);
  const listener = (name: 'http' | 'agent'): ListenAddress | undefined => {
    const text = options.get(name);
    return text === undefined ? undefined : parseListenAddress(name, text);
  };
  const http = listener('http');
  const agent = listener('agent');
  if (http === undefined && agent === undefined) throw new CheckError('USAGE', 'serve needs --http HOST:PORT or --agent HOST:PORT');
  const cacheMs = parseCacheMs(valueOf(options, 'cache'));
  const intervalMs = parseIntervalMs(valueOf(options, 'interval'));
  const agentMaintenance = parseMaintenanceState(valueOf(options, 'agent-maintenance'));
  // Every password seen stays scrubbed: an old one may still be in a message.
  const secrets = new Set(settings.secrets);
  const say = (line: string): void => {
    try {
      terminal.out(`${TOOL} serve: ${line}\n`);
    } catch {
      // No stdout (closed pipe): the listeners matter, not the announcement.
    }
  };
  await serve(settings, {
    http,
    agent,
    agentMaintenance,
    cacheMs,
    intervalMs,
    tool: `${TOOL}-serve`,
    version: VERSION,
    announce: say,
    configuration: {
      read: () => {
        // The same command line over the option files as they are now; the listeners stay as they were.
        const next = resolveOptions(args, CLI_OPTIONS);
        for (const s of optionSecrets(next)) secrets.add(s);
        terminal.scrub([...secrets]);
        for (const w of next.warnings) terminal.err(`${TOOL}: ${w}\n`);
        return checkSettings(next);
      },
      onReload: (outcome, trigger) => {
        // The journal hears of every reload asked for, and of any that changed something or failed.
        if (outcome.kind === 'unchanged' && trigger !== 'SIGHUP') return;
        const line = describeReload(outcome, trigger);
        if (outcome.kind === 'refused') terminal.err(`${TOOL} serve: ${line}\n`);
        else say(line);
      },
    },
  });
  return EXIT_OK;
}

/** Runs a parsed command (not help or version); returns the exit status. Throws what reportFailure reports. */
export async function runCommand(
  command: Exclude<Command, { name: 'help' | 'version' }>,
  startedAt: number,
  terminal: Terminal,
): Promise<number> {
  if (command.name === 'oid') return runOid(command, terminal);
  if (command.name === 'demo') return runDemo(command, terminal);
  const options = readOptions(command.args, terminal);
  if (command.name === 'setup') return runSetup(options, startedAt, terminal);
  if (command.name === 'serve') return runServe(options, command.args, terminal);
  if (command.name === 'recover') return runRecover(options, command, startedAt, terminal);
  if (command.name === 'pool') return runPool(options, command, startedAt, terminal);
  return runStatus(options, command, startedAt, terminal);
}
