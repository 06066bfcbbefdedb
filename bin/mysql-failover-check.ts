/**
 * The executable for people at a shell:
 *   status (default)  the facts and the decision path in words (--json for scripts);
 *                     the same verdict the load balancer would get, without
 *                     stamping unless --stamp
 *   setup             creates the heartbeat database/table if missing, prints the GRANTs
 *   serve             the resident mode: HTTP and agent-check listeners answering from
 *                     kept sessions (src/serve.ts, src/resident.ts)
 *   oid NAME          numeric OIDs of an snmpd `extend NAME`
 * Exit: 0 ok/UP (serve: stopped by SIGTERM/SIGINT), 1 DOWN or failed, 2 usage.
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
} from '../src/settings';
import { toCheckError, type ErrorCode } from '../src/errors';
import { Deadline } from '../src/deadline';
import { LB_DEFAULT_TIMEOUT } from '../src/lb-probe';
import { guardedCheck } from '../src/guarded-check';
import { logDecision } from '../src/log-file';
import { extendOids } from '../src/oid';
import { DEFAULT_MONITOR_ACCOUNT, formatSetupReport, parseAccount, runSetup } from '../src/setup';
import { formatStatusText, statusJson, type StatusInput } from '../src/status';
import { processStart, VERSION } from '../src/process';
import { AGENT_MAINTENANCE_OPTION, parseMaintenanceState } from '../src/agent';
import { parseListenAddress, serve, type ListenAddress } from '../src/serve';
import { CACHE_OPTION, parseCacheMs } from '../src/resident';
import type { Decision } from '../src/decide';

const TOOL = 'mysql-failover-check';
export const SETUP_DEFAULT_TIMEOUT = '30';

export const EXIT_OK = 0;
export const EXIT_DOWN = 1;
export const EXIT_USAGE = 2;

const CLI_ONLY: readonly OptionSpec[] = [
  { name: 'json', kind: 'boolean', help: 'status/oid: print JSON instead of text', file: false },
  { name: 'stamp', kind: 'boolean', help: 'status: stamp the heartbeat when the verdict says so, as the load balancer probe does', file: false },
  {
    name: 'monitor-user',
    kind: 'string',
    arg: 'USER[@HOST]',
    default: DEFAULT_MONITOR_ACCOUNT,
    help: 'setup: the account the printed GRANTs are for',
    file: false,
  },
  { name: 'http', kind: 'string', arg: 'HOST:PORT', help: 'serve: answer HTTP health checks here', file: false },
  { name: 'agent', kind: 'string', arg: 'HOST:PORT', help: 'serve: answer HAProxy agent checks here', file: false },
  { ...CACHE_OPTION, help: "serve: reuse a check's verdict this long (0: never)" },
  { ...AGENT_MAINTENANCE_OPTION, help: `serve: ${AGENT_MAINTENANCE_OPTION.help}` },
];

const SERVE_ONLY = ['http', 'agent', 'cache', 'agent-maintenance'] as const;

export const CLI_OPTIONS: readonly OptionSpec[] = [
  ...COMMON_OPTIONS.filter((s) => s.name !== 'help' && s.name !== 'version').map((s) =>
    s.name === 'timeout'
      ? { ...s, help: `give up after this many seconds; setup: ${SETUP_DEFAULT_TIMEOUT} unless given`, default: LB_DEFAULT_TIMEOUT }
      : s,
  ),
  ...CLI_ONLY,
  ...COMMON_OPTIONS.filter((s) => s.name === 'help' || s.name === 'version'),
];

const USAGE = `Usage: ${TOOL} [status] [OPTIONS]     the facts and the decision path (--json, --stamp)
       ${TOOL} setup [OPTIONS]      create the heartbeat table if missing, print the GRANTs
       ${TOOL} serve [OPTIONS]      stay resident, answer probes (--http, --agent)
       ${TOOL} oid NAME [--json]    numeric OIDs for snmpd's "extend NAME"

status prints what the load balancer would be told and why, in plain words,
with the same options and the same verdict; it never stamps the heartbeat
unless --stamp is given (then it acts exactly like a load-balancer probe and
writes --log-file). Without --stamp it tries the stamp in a transaction it
rolls back, so a stamp that would fail gives the same DOWN.

setup connects with the same option files, so run it with an administrator's
credentials (e.g. --defaults-file /root/.my.cnf) on the writable node: it creates
the --table database and keyed table when missing (never drops, alters or writes
rows; a second run changes nothing) and prints, as SQL, the GRANT statements the
monitor user needs on this server's flavour and version.

serve keeps its connections to both nodes open and answers HTTP health checks
(as mysql-failover-http) and HAProxy agent checks (as mysql-failover-agent)
from one check at a time, stamping like a load-balancer probe; probes that
arrive while a check runs share it, and its verdict is reused for --cache
seconds, but the maintenance file is looked at on every probe. It binds only
where told, writes one --log-file line per check, and stops on SIGTERM.`;

const FOOTER = `Exit status: 0 UP (or done; serve: stopped by SIGTERM/SIGINT), 1 DOWN (or setup failed,
or serve could not listen), 2 usage or configuration error.`;

const SHORT_USAGE = `Try '${TOOL} --help'.`;

class UsageError extends Error {}

function errOut(text: string): void {
  try {
    writeSync(2, text);
  } catch {
    // stderr gone
  }
}

/** An uncaught exception: say so, exit like a DOWN. */
export function fatal(): number {
  errOut(`${TOOL}: internal error\n`);
  return EXIT_DOWN;
}

/** Errors in what the operator wrote (options, option files) are usage errors (2). */
const CONFIG_ERRORS: ReadonlySet<ErrorCode> = new Set([
  'USAGE',
  'OPTION_FILE_MISSING',
  'OPTION_FILE_UNREADABLE',
  'OPTION_FILE_SYNTAX',
  'OPTION_FILE_TOO_LARGE',
]);

export async function main(argv: readonly string[]): Promise<number> {
  const startedAt = processStart();
  const out = (text: string): void => {
    writeSync(1, text);
  };
  let secrets: string[] = [];
  let json = false;
  try {
    const args = parseArgs(argv, CLI_OPTIONS);
    json = args.values.get('json') === true;
    if (args.values.get('help') === true) {
      out(helpText(USAGE, CLI_OPTIONS, FOOTER));
      return EXIT_OK;
    }
    if (args.values.get('version') === true) {
      out(`${TOOL} ${VERSION}\n`);
      return EXIT_OK;
    }
    const [command = 'status', ...rest] = args.positionals;

    if (command === 'oid') {
      if (rest.length !== 1) throw new UsageError('oid takes exactly one extend name, e.g. `oid mysql_failover`');
      const oids = extendOids(rest[0] as string);
      if (json) out(JSON.stringify(oids, null, 2) + '\n');
      else {
        for (const o of oids) out(`${o.numeric}  ${o.symbolic}  ${o.what}\n`);
      }
      return EXIT_OK;
    }
    if (command !== 'status' && command !== 'setup' && command !== 'serve') throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
    if (command === 'setup' && (json || args.values.get('stamp') === true)) {
      throw new UsageError('--json and --stamp are for status');
    }
    if (command !== 'setup' && args.values.has('monitor-user')) throw new UsageError('--monitor-user is for setup');
    if (command === 'serve' && (json || args.values.get('stamp') === true)) throw new UsageError('--json and --stamp are for status');
    const serveOnly = SERVE_ONLY.find((name) => args.values.has(name));
    if (command !== 'serve' && serveOnly !== undefined) throw new UsageError(`--${serveOnly} is for serve`);

    const options = resolveOptions(args, CLI_OPTIONS);
    secrets = optionSecrets(options);
    for (const w of options.warnings) errOut(`${TOOL}: ${w}\n`);

    if (command === 'setup') {
      const settings = checkSettings(options, { timeout: SETUP_DEFAULT_TIMEOUT });
      const account = parseAccount(options.get('monitor-user') ?? DEFAULT_MONITOR_ACCOUNT);
      const deadline = new Deadline(startedAt + settings.timeoutMs);
      try {
        const report = await runSetup(settings.local, settings.table, account, deadline);
        out(formatSetupReport(report, settings.table, account));
        return EXIT_OK;
      } catch (e) {
        errOut(redact(`${TOOL} setup: ${toCheckError(e).message}\n`, secrets));
        return EXIT_DOWN;
      }
    }

    if (command === 'serve') {
      const settings = checkSettings(options, { timeout: LB_DEFAULT_TIMEOUT });
      const listener = (name: 'http' | 'agent'): ListenAddress | undefined => {
        const text = options.get(name);
        return text === undefined ? undefined : parseListenAddress(name, text);
      };
      const http = listener('http');
      const agent = listener('agent');
      if (http === undefined && agent === undefined) throw new UsageError('serve needs --http HOST:PORT or --agent HOST:PORT');
      const cacheMs = parseCacheMs(options.get('cache') ?? CACHE_OPTION.default);
      const logFile = settings.logFile;
      await serve(settings, {
        http,
        agent,
        agentMaintenance: parseMaintenanceState(options.get('agent-maintenance') ?? 'maint'),
        cacheMs,
        announce: (line) => {
          try {
            out(`${TOOL} serve: ${line}\n`);
          } catch {
            // No stdout (closed pipe): the listeners matter, not the announcement.
          }
        },
        ...(logFile === undefined
          ? {}
          : {
              onCheck: (decision: Decision, elapsedMs: number) => {
                logDecision(logFile, `${TOOL}-serve`, decision, elapsedMs);
              },
            }),
      });
      return EXIT_OK;
    }

    // status
    const settings = checkSettings(options, { timeout: LB_DEFAULT_TIMEOUT });
    secrets = settings.secrets;
    const stampRequested = args.values.get('stamp') === true;
    const run = await guardedCheck(settings, { stamp: stampRequested, trialStamp: true, alwaysReadReplication: true }, startedAt);
    const input: StatusInput = run.timedOut
      ? {
          decision: run.decision,
          facts: undefined,
          heartbeat: undefined,
          stamped: false,
          stampRequested,
          elapsedMs: run.elapsedMs,
          timedOut: true,
        }
      : {
          decision: run.result.decision,
          facts: run.result.facts,
          heartbeat: run.result.heartbeat,
          stamped: run.result.stamped,
          stampRequested,
          elapsedMs: run.result.elapsedMs,
          timedOut: false,
        };
    const text = json ? JSON.stringify(statusJson(input, settings), null, 2) + '\n' : formatStatusText(input, settings);
    out(redact(text, secrets));
    if (stampRequested && settings.logFile !== undefined) {
      const d = input.decision;
      logDecision(
        settings.logFile,
        TOOL,
        { ...d, detail: redact(d.detail, secrets), warnings: d.warnings.map((w) => redact(w, secrets)) },
        Date.now() - startedAt,
      );
    }
    return input.decision.verdict === 'UP' ? EXIT_OK : EXIT_DOWN;
  } catch (e) {
    if (e instanceof UsageError) {
      errOut(`${TOOL}: ${e.message}\n${SHORT_USAGE}\n`);
      return EXIT_USAGE;
    }
    const err = toCheckError(e);
    const message = redact(err.message, secrets);
    if (json) out(JSON.stringify({ error: { code: err.code, message } }) + '\n');
    errOut(`${TOOL}: ${message}\n${err.code === 'USAGE' ? `${SHORT_USAGE}\n` : ''}`);
    return CONFIG_ERRORS.has(err.code) ? EXIT_USAGE : EXIT_DOWN;
  }
}
