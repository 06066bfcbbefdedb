/**
 * Nagios/Icinga plugin (design.md section 3): read-only, it never stamps the
 * heartbeat (that would hide missed load-balancer probes). Prints
 * `MYSQL FAILOVER <STATE> - <summary> | <perfdata>` (+ detail lines with -v)
 * and exits 0/1/2/3, within -t whatever the servers do.
 */
import { writeSync } from 'node:fs';
import {
  COMMON_OPTIONS,
  checkSettings,
  helpText,
  optionSecrets,
  parseArgs,
  redact,
  resolveOptions,
  type OptionSpec,
  type ResolvedOptions,
} from '../src/config/settings';
import { isCheckError, toCheckError } from '../src/core/errors';
import { parseRange, type Range } from '../src/answers/range';
import {
  EXIT_CODE,
  evaluate,
  formatOutput,
  parseTimeoutOption,
  unknownOutput,
  type PluginReport,
  type PluginThresholds,
} from '../src/answers/nagios';
import { probe } from '../src/probe/probe';
import { appendLogLine } from '../src/io/log-file';
import { processStart, silenceStderr, VERSION } from '../src/cli/executable';

const TOOL = 'check_mysql_failover';
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
  ...PLUGIN_ONLY,
  ...COMMON_OPTIONS.filter((s) => s.name === 'help' || s.name === 'version'),
];

const SHORT_USAGE = [
  `Usage: ${TOOL} [-H HOST] [-P PORT] [-S SOCKET] [--peer HOST[:PORT]] [-w RANGE] [-c RANGE]`,
  `       [--heartbeat-warning RANGE] [--heartbeat-critical RANGE] [--channel NAME] [-t SECONDS[:STATE]] [-v]`,
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
  WARNING   lag outside -w; peer unreachable (serving alone); maintenance file
            present; heartbeat age outside --heartbeat-warning
  CRITICAL  local server unreachable or refusing the login (with the server's
            error code); replication stopped or broken while the peer is up;
            lag outside -c; the load balancer would be told DOWN (other than
            maintenance); --channel names no channel
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
-h and -V exit with 3 (UNKNOWN), as monitoring-plugins' own plugins do.

Example: ${TOOL} --defaults-file /etc/nagios/mysql-failover.cnf --peer db2 -w 5 -c 30`;

export function usageLines(): string[] {
  return SHORT_USAGE;
}

/** The answer when everything else failed (an uncaught exception). */
export function fatal(): number {
  try {
    writeSync(1, unknownOutput('internal error'));
  } catch {
    // stdout gone: nothing left to tell anyone
  }
  return EXIT_CODE.UNKNOWN;
}

function optionalRange(o: ResolvedOptions, name: string, label: string): Range | undefined {
  const text = o.get(name);
  return text === undefined ? undefined : parseRange(text, label);
}

export async function main(argv: readonly string[]): Promise<number> {
  // Icinga 2 folds stderr into the plugin output: a Node warning must not reach it.
  silenceStderr();
  const startedAt = processStart();
  const out = (text: string): void => {
    writeSync(1, text);
  };

  let args;
  try {
    args = parseArgs(argv, PLUGIN_OPTIONS);
  } catch (e) {
    out(unknownOutput(toCheckError(e).message, SHORT_USAGE));
    return EXIT_CODE.UNKNOWN;
  }
  if (args.values.get('help') === true) {
    out(helpText(USAGE, PLUGIN_OPTIONS, FOOTER));
    return EXIT_CODE.UNKNOWN;
  }
  if (args.values.get('version') === true) {
    out(`${TOOL} ${VERSION}\n`);
    return EXIT_CODE.UNKNOWN;
  }
  if (args.positionals.length > 0) {
    out(unknownOutput(`unexpected argument ${JSON.stringify(args.positionals[0])}`, SHORT_USAGE));
    return EXIT_CODE.UNKNOWN;
  }
  const verbose = args.values.get('verbose') === true;

  let secrets: string[] = [];
  let logFile: string | undefined;
  let report: PluginReport;
  let extraDetails: string[];
  let lbReason: string;
  try {
    const o = resolveOptions(args, PLUGIN_OPTIONS);
    secrets = optionSecrets(o);
    extraDetails = [
      `option files read: ${o.filesRead.length > 0 ? o.filesRead.join(', ') : 'none'}`,
      ...o.warnings.map((w) => `option file warning: ${w}`),
    ];
    const timeout = parseTimeoutOption(o.get('timeout') ?? PLUGIN_DEFAULT_TIMEOUT);
    const thresholds: Omit<PluginThresholds, 'timeoutSeconds' | 'channel'> = {
      lagWarning: optionalRange(o, 'warning', '-w/--warning'),
      lagCritical: optionalRange(o, 'critical', '-c/--critical'),
      heartbeatWarning: optionalRange(o, 'heartbeat-warning', '--heartbeat-warning'),
      heartbeatCritical: optionalRange(o, 'heartbeat-critical', '--heartbeat-critical'),
      timeoutState: timeout.state,
    };
    // checkSettings validates the seconds; it must not see the :STATE part.
    const forSettings: ResolvedOptions = {
      ...o,
      get: (name) => (name === 'timeout' ? timeout.seconds : o.get(name)),
      has: (name) => o.has(name),
    };
    const settings = checkSettings(forSettings, { timeout: PLUGIN_DEFAULT_TIMEOUT });
    logFile = settings.logFile;
    const t: PluginThresholds = { ...thresholds, channel: settings.thresholds.channel, timeoutSeconds: settings.timeoutMs / 1000 };

    const result = await probe(settings, { stamp: false, trialStamp: true, alwaysReadReplication: true }, startedAt);
    report = evaluate(result, t);
    lbReason = result.timedOut ? 'timeout' : result.decision.reason;
  } catch (e) {
    const err = toCheckError(e);
    const usage = isCheckError(e) && err.code === 'USAGE' ? SHORT_USAGE : [];
    out(redact(unknownOutput(err.message, usage), secrets));
    return EXIT_CODE.UNKNOWN;
  }

  if (verbose) report.details.push(...extraDetails);
  const text = redact(formatOutput(report, verbose), secrets);
  out(text);
  if (logFile !== undefined) {
    // A log that cannot be written must not change the answer.
    appendLogLine(logFile, {
      tool: TOOL,
      verdict: report.state,
      reason: lbReason,
      detail: redact(report.summary, secrets),
      elapsedMs: Date.now() - startedAt,
    });
  }
  return EXIT_CODE[report.state];
}
