/**
 * check_mysql_failover, the Nagios/Icinga plugin (docs/design.md, "The
 * Nagios states"): its options and help, and the plugin's flow from the
 * option files to the status line, the exit status and the log line. The
 * states themselves are decided in src/answers/nagios.ts.
 */
import { CheckError, toCheckError } from '../core/errors';
import { parseArgs, type ParsedArgs } from '../config/argv';
import { helpText } from '../config/help';
import { resolveOptions, valueOf, withValue, type ResolvedOptions } from '../config/option-merge';
import { COMMON_OPTIONS, PEER_NODE_OPTION, type OptionSpec } from '../config/option-specs';
import { checkSettings, optionSecrets, type CheckSettings } from '../config/settings';
import { appendLogLine } from '../io/log-file';
import { probe } from '../probe/probe';
import { describeState } from '../core/failover-state';
import {
  EXIT_CODE,
  evaluate,
  formatOutput,
  parseTimeoutOption,
  unknownOutput,
  type PluginReport,
  type PluginThresholds,
} from '../answers/nagios';
import { evaluatePool } from '../answers/nagios-pool';
import { validateNodeName } from '../core/heartbeat';
import { checkPool } from '../probe/pool';
import { parseRange, type Range } from '../answers/range';
import { VERSION } from './executable';
import type { Terminal } from './terminal';

export const TOOL = 'check_mysql_failover';
export const PLUGIN_DEFAULT_TIMEOUT = '10';

const PLUGIN_ONLY: readonly OptionSpec[] = [
  { name: 'warning', short: 'w', kind: 'string', arg: 'RANGE', help: 'replication lag (seconds) range: WARNING outside it' },
  { name: 'critical', short: 'c', kind: 'string', arg: 'RANGE', help: 'replication lag (seconds) range: CRITICAL outside it' },
  {
    name: 'heartbeat-warning',
    kind: 'string',
    arg: 'RANGE',
    help: 'heartbeat age (seconds) range: WARNING outside it (default: not checked)',
  },
  {
    name: 'heartbeat-critical',
    kind: 'string',
    arg: 'RANGE',
    help: 'heartbeat age (seconds) range: CRITICAL outside it (default: not checked)',
  },
  { name: 'verbose', short: 'v', kind: 'boolean', help: 'add detail lines: channels, last errors, the decision path', file: false },
  {
    name: 'pool',
    kind: 'boolean',
    help: 'one service for the pair: both nodes, each with the other as its peer (needs --peer)',
    file: false,
  },
];

/** The common options with the plugin's -t, and the plugin's own before -h/-V. */
export const PLUGIN_OPTIONS: readonly OptionSpec[] = [
  ...COMMON_OPTIONS.filter((s) => s.name !== 'help' && s.name !== 'version').map((s) =>
    s.name === 'timeout'
      ? {
          ...s,
          short: 't',
          arg: 'SECONDS[:STATE]',
          default: PLUGIN_DEFAULT_TIMEOUT,
          help: 'answer within SECONDS, then report STATE: OK, WARNING, CRITICAL (if not given) or UNKNOWN',
        }
      : s,
  ),
  PEER_NODE_OPTION,
  ...PLUGIN_ONLY,
  ...COMMON_OPTIONS.filter((s) => s.name === 'help' || s.name === 'version'),
];

export const SHORT_USAGE = [
  `Usage: ${TOOL} [-H HOST] [-P PORT] [-S SOCKET] [--peer HOST[:PORT]] [-w RANGE] [-c RANGE]`,
  `       [--heartbeat-warning RANGE] [--heartbeat-critical RANGE] [--channel NAME] [-t SECONDS[:STATE]] [-v] [--pool]`,
  `       [--defaults-file PATH] [OTHER OPTIONS]`,
  `Try '${TOOL} --help' for all options.`,
];

const USAGE = `Usage: ${TOOL} [OPTIONS]

Nagios/Icinga plugin: how healthy is replication on this node of a MySQL/MariaDB
pair, and would the load balancer send it traffic? Read-only: it never stamps
the heartbeat; it tries the stamp in a transaction it rolls back, to see
whether the load balancer's stamp would fail (read_only, a lock).`;

const FOOTER = `States:
  OK        replication running within the ranges, peer reachable, LB verdict UP
  WARNING   lag outside -w; peer unreachable (serving alone) or refusing us;
            --peer not the replication source; maintenance file present (the
            rest is still checked); heartbeat age outside --heartbeat-warning;
            failover state failing or recovering (a change held back)
  CRITICAL  local server unreachable or refusing the login (with the server's
            error code); replication stopped or broken while the peer is up;
            lag outside -c; the load balancer would be told DOWN (other than
            maintenance); --channel names no channel; failover state failed
  UNKNOWN   bad options or ranges, a missing or unreadable option file,
            an internal error
  timeout   -t SECONDS:STATE (default ${PLUGIN_DEFAULT_TIMEOUT} s, CRITICAL)
Every replication channel is evaluated and the worst decides; --channel
narrows it to one. A NULL lag is reported as unknown (perfdata U), never as 0.

Ranges (Monitoring Plugins syntax; the alert is raised when the value is
outside START..END, both ends included):
  10      outside 0..10          10:     below 10
  ~:10    above 10               10:20   below 10 or above 20
  @10:20  inside 10..20 (10 <= x <= 20)

Performance data: lag (s) per channel ('lag', or 'lag_NAME' for named
channels), heartbeat_age (s), peer_reachable (0/1, with --peer), time (s).

--pool: one service for the pair. Both nodes are checked at once, each with
the other as its peer, read-only (see mysql-failover-check pool):
  OK        both nodes would take traffic
  WARNING   only one would (no redundancy); --peer is not the replication
            source; lag or heartbeat age outside -w / --heartbeat-warning
  CRITICAL  no node would; the nodes replicate from something other than
            each other, or replication stopped on a node; lag or heartbeat
            age outside -c / --heartbeat-critical
Its perfdata per node: local_lag / peer_lag (per channel, _NAME for named
ones), local_heartbeat_age / peer_heartbeat_age, local_reachable /
peer_reachable; then nodes_up (0-2) and time.

-h and -V exit with 3 (UNKNOWN), as monitoring-plugins' own plugins do.

Example: ${TOOL} --defaults-file /etc/mysql-failover-check/monitor.cnf --peer db2 -w 5 -c 30`;

export type PluginCommand =
  { name: 'help' | 'version'; text: string } | { name: 'check'; args: ParsedArgs; verbose: boolean; pool?: boolean };

/** The command line; throws CheckError('USAGE'), which the plugin answers UNKNOWN with the short usage. */
export function parsePluginCommandLine(argv: readonly string[]): PluginCommand {
  const args = parseArgs(argv, PLUGIN_OPTIONS);
  if (args.values.get('help') === true) return { name: 'help', text: helpText(USAGE, PLUGIN_OPTIONS, FOOTER) };
  if (args.values.get('version') === true) return { name: 'version', text: `${TOOL} ${VERSION}\n` };
  if (args.positionals.length > 0) throw new CheckError('USAGE', `unexpected argument ${JSON.stringify(args.positionals[0])}`);
  const pool = args.values.get('pool') === true;
  if (!pool && args.values.has(PEER_NODE_OPTION.name)) throw new CheckError('USAGE', '--peer-node is for --pool');
  return { name: 'check', args, verbose: args.values.get('verbose') === true, pool };
}

/** UNKNOWN for a failure before any check ran; a usage error comes with the short usage. */
export function unknownAnswer(terminal: Terminal, e: unknown, withUsage: boolean): number {
  const err = toCheckError(e);
  terminal.out(unknownOutput(err.message, withUsage || err.code === 'USAGE' ? SHORT_USAGE : []));
  return EXIT_CODE.UNKNOWN;
}

function optionalRange(o: ResolvedOptions, name: string, label: string): Range | undefined {
  const text = o.get(name);
  return text === undefined ? undefined : parseRange(text, label);
}

/** The plugin run: option files, thresholds, the read-only probe, the report, the log line; returns the exit status. */
export async function runPlugin(
  command: { args: ParsedArgs; verbose: boolean; pool?: boolean },
  startedAt: number,
  terminal: Terminal,
): Promise<number> {
  const o = resolveOptions(command.args, PLUGIN_OPTIONS);
  terminal.scrub(optionSecrets(o));
  const timeout = parseTimeoutOption(valueOf(o, 'timeout'));
  const thresholds: Omit<PluginThresholds, 'timeoutSeconds' | 'channel'> = {
    lagWarning: optionalRange(o, 'warning', '-w/--warning'),
    lagCritical: optionalRange(o, 'critical', '-c/--critical'),
    heartbeatWarning: optionalRange(o, 'heartbeat-warning', '--heartbeat-warning'),
    heartbeatCritical: optionalRange(o, 'heartbeat-critical', '--heartbeat-critical'),
    timeoutState: timeout.state,
  };
  // checkSettings validates the seconds; it must not see the :STATE part.
  const settings = checkSettings(withValue(o, 'timeout', timeout.seconds));
  const t: PluginThresholds = { ...thresholds, channel: settings.thresholds.channel, timeoutSeconds: settings.timeoutMs / 1000 };

  if (command.pool === true) {
    const peerNode = o.get(PEER_NODE_OPTION.name);
    const pool = await checkPool(settings, { peerNode: peerNode === undefined ? undefined : validateNodeName(peerNode), startedAt });
    return answer(evaluatePool(pool, t), command.verbose, o, logOf(settings, `pool-${pool.summary.pool}`, startedAt), terminal);
  }
  const result = await probe(
    settings,
    { stamp: false, trialStamp: true, alwaysReadReplication: true, failover: { mode: 'read', actor: 'probe' } },
    startedAt,
  );
  const state = result.failover?.state;
  const policy = settings.failover?.policy;
  const failoverState = state === undefined || policy === undefined ? undefined : describeState(state, policy, Date.now());
  const report = evaluate({ ...result, failoverState }, t);
  for (const note of result.failover?.notes ?? []) report.details.push(`state file: ${note}`);
  return answer(report, command.verbose, o, logOf(settings, result.timedOut ? 'timeout' : result.decision.reason, startedAt), terminal);
}

interface LogLine {
  file: string;
  secrets: string[];
  reason: string;
  startedAt: number;
}

function logOf(settings: CheckSettings, reason: string, startedAt: number): LogLine | undefined {
  return settings.logFile === undefined ? undefined : { file: settings.logFile, secrets: settings.secrets, reason, startedAt };
}

/** The report on stdout (with -v, the option files read), the --log-file line; returns the exit status. */
function answer(report: PluginReport, verbose: boolean, o: ResolvedOptions, log: LogLine | undefined, terminal: Terminal): number {
  if (verbose) {
    report.details.push(
      `option files read: ${o.filesRead.length > 0 ? o.filesRead.join(', ') : 'none'}`,
      ...o.warnings.map((w) => `option file warning: ${w}`),
    );
  }
  terminal.out(formatOutput(report, verbose));
  if (log !== undefined) {
    const fields = { tool: TOOL, verdict: report.state, reason: log.reason, detail: report.summary, elapsedMs: Date.now() - log.startedAt };
    // A log that cannot be written must not change the answer.
    appendLogLine(log.file, fields, log.secrets);
  }
  return EXIT_CODE[report.state];
}
