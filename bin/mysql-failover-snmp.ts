/**
 * snmpd executable, two ways:
 *
 * - `extend` (the default): prints exactly `100` (take traffic) or `200`
 *   (fail over) and a newline, exits 0, and never writes to stderr: snmpd
 *   would pass stray output on to the load balancer, and it runs `extend`
 *   synchronously, so the answer comes within --timeout whatever happens.
 * - `--persist`: stays running under snmpd's `pass_persist`, keeps its
 *   connections (the resident engine) and answers snmpd's requests on
 *   stdin/stdout (src/pass-persist.ts) until snmpd closes the pipe. stdout
 *   carries nothing but protocol answers, stderr nothing at all.
 */
import { writeSync } from 'node:fs';
import { COMMON_OPTIONS, checkSettings, resolveOptions, type OptionSpec, type ParsedArgs } from '../src/config/settings';
import { LB_DEFAULT_TIMEOUT, lbDecision, startLbExecutable } from '../src/cli/lb-executable';
import { snmpAnswer, SNMP_DOWN } from '../src/answers/snmp';
import { silenceStderr, processStart } from '../src/cli/executable';
import { errorDecision, type Decision } from '../src/core/decide';
import { CheckError, toCheckError } from '../src/core/errors';
import { factError } from '../src/probe/facts';
import { logDecision } from '../src/io/log-file';
import { DEFAULT_PERSIST_BASE, parsePersistBase } from '../src/answers/oid';
import { PassPersistSession } from '../src/answers/pass-persist';
import { CACHE_OPTION, DEFAULT_CACHE_MS, parseCacheMs, startResident, type Resident } from '../src/resident/engine';
import { writeAllSync } from '../src/io/bounded-io';

const TOOL = 'mysql-failover-snmp';

/** Command line only: they describe this process, not the check the other executables share. */
const PERSIST_OPTIONS: readonly OptionSpec[] = [
  { name: 'persist', kind: 'boolean', help: "serve snmpd's pass_persist on stdin/stdout (see above)", file: false },
  {
    name: 'oid-base',
    kind: 'string',
    arg: 'OID',
    default: DEFAULT_PERSIST_BASE,
    help: 'with --persist: the OID of the pass_persist line',
    file: false,
  },
  { ...CACHE_OPTION, help: `with --persist: ${CACHE_OPTION.help}` },
];

export const SNMP_OPTIONS: readonly OptionSpec[] = [
  ...COMMON_OPTIONS.filter((s) => s.name !== 'help' && s.name !== 'version'),
  ...PERSIST_OPTIONS,
  ...COMMON_OPTIONS.filter((s) => s.name === 'help' || s.name === 'version'),
];

const USAGE = `Usage: ${TOOL} [OPTIONS]
       ${TOOL} --persist [--oid-base OID] [--cache SECONDS] [OPTIONS]

Prints 100 when this node may take traffic and 200 when the load balancer
should fail over, for snmpd's extend: the answer arrives within --timeout.

With --persist it runs under snmpd's pass_persist instead: one process that
keeps its connections, checks at most once per --cache, and serves
  OID.1.0  INTEGER  100 or 200, as above (the load balancer polls this)
  OID.2.0  STRING   the reason code (fresh, caught-up, local-unreachable, ...)
where OID is --oid-base, the OID of the pass_persist line in snmpd.conf.
These three options are read from the command line only.`;

/** Set once main() chose pass_persist: from then on stdout belongs to the protocol. */
let persisting = false;

/** The answer when everything else failed (an uncaught exception): fail over, say nothing else. */
export function fatal(): number {
  // Under pass_persist a stray "200" would be read as the answer to some
  // request; saying nothing lets snmpd see the pipe close and start afresh.
  if (persisting) return 0;
  try {
    writeSync(1, `${SNMP_DOWN}\n`);
  } catch {
    // stdout gone: nothing left to tell anyone
  }
  return 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  silenceStderr();
  const startedAt = processStart();
  const start = startLbExecutable(TOOL, USAGE, SNMP_OPTIONS, argv);
  if (start.done) {
    writeSync(1, start.text);
    return 0;
  }
  if (start.args?.values.get('persist') === true || (start.args === undefined && argv.includes('--persist'))) {
    persisting = true;
    return persist(start.args, start.usageError);
  }
  const persistOnly = PERSIST_OPTIONS.find((s) => start.args?.values.has(s.name));
  const usageError = start.usageError ?? (persistOnly ? new CheckError('USAGE', `--${persistOnly.name} needs --persist`) : undefined);
  // A bad option must not take the answer away from the LB: lbDecision fails safe.
  const decision = await lbDecision(TOOL, { args: start.args, usageError }, SNMP_OPTIONS, startedAt);
  writeSync(1, `${snmpAnswer(decision.verdict)}\n`);
  return 0;
}

/**
 * The pass_persist loop. A usage or configuration error does not end the
 * process (snmpd would only start it again for the next request): it is
 * answered 200 (error), like extend answers it; a configuration error is
 * retried on the next request, so a fixed option file is picked up.
 */
async function persist(args: ParsedArgs | undefined, usageError: CheckError | undefined): Promise<number> {
  let setupError = usageError;
  let base = parsePersistBase(DEFAULT_PERSIST_BASE);
  let cacheMs = DEFAULT_CACHE_MS;
  try {
    const oidBase = args?.values.get('oid-base');
    if (typeof oidBase === 'string') base = parsePersistBase(oidBase);
    const cache = args?.values.get('cache');
    if (typeof cache === 'string') cacheMs = parseCacheMs(cache);
  } catch (e) {
    setupError ??= toCheckError(e);
  }
  const verdicts = residentVerdicts(args, setupError, cacheMs);
  const session = new PassPersistSession({
    base,
    probe: verdicts.probe,
    write: (text) => writeAllSync(1, text),
    deadlineMs: verdicts.timeoutMs,
  });
  process.stdin.on('data', (chunk: Buffer) => session.feed(chunk));
  for (const event of ['end', 'close', 'error'] as const) process.stdin.once(event, () => session.end());
  process.stdin.on('error', () => undefined);
  await session.closed;
  process.stdin.pause();
  await verdicts.close();
  return 0;
}

interface Verdicts {
  probe: () => Promise<Decision>;
  timeoutMs: () => number;
  /** Closes the connections; bounded, snmpd waits for the process to end. */
  close: () => Promise<void>;
}

function residentVerdicts(args: ParsedArgs | undefined, setupError: CheckError | undefined, cacheMs: number): Verdicts {
  let resident: Resident | undefined;
  let timeoutMs = Number(LB_DEFAULT_TIMEOUT) * 1000;
  const cliLogFile = args?.values.get('log-file');
  const log = (file: string | undefined, d: Decision, elapsedMs: number): void => {
    if (file !== undefined) logDecision(file, TOOL, d, elapsedMs);
  };
  const failed = (e: unknown): Decision => {
    const d = errorDecision(factError(e));
    log(typeof cliLogFile === 'string' ? cliLogFile : undefined, d, 0);
    return d;
  };
  const ensure = (): Resident | Decision => {
    if (resident !== undefined) return resident;
    if (setupError !== undefined || args === undefined) return failed(setupError ?? new CheckError('USAGE', 'bad arguments'));
    try {
      const settings = checkSettings(resolveOptions(args, SNMP_OPTIONS), { timeout: LB_DEFAULT_TIMEOUT });
      timeoutMs = settings.timeoutMs;
      resident = startResident(settings, { cacheMs, onCheck: (d, ms) => log(settings.logFile, d, ms) });
      return resident;
    } catch (e) {
      return failed(e);
    }
  };
  // Started before the first request arrives: option files are read and sessions opened once.
  if (setupError === undefined && args !== undefined) ensure();
  return {
    probe: async () => {
      const r = ensure();
      return 'probe' in r ? r.probe() : r;
    },
    timeoutMs: () => timeoutMs,
    close: async () => {
      if (resident === undefined) return;
      let timer: NodeJS.Timeout | undefined;
      const giveUp = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs + 500);
      });
      await Promise.race([resident.close().catch(() => undefined), giveUp]);
      clearTimeout(timer);
    },
  };
}
