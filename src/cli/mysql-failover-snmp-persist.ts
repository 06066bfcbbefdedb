/**
 * `mysql-failover-snmp --persist`: snmpd's pass_persist on stdin/stdout
 * (the protocol: src/answers/pass-persist.ts) over the resident engine
 * (src/resident/engine.ts), until snmpd closes the pipe. stdout carries
 * nothing but protocol answers.
 *
 * A usage or configuration error does not end the process (snmpd would only
 * start it again for the next request): it is answered 200 (error), like
 * extend answers it; a configuration error is retried on the next request,
 * so a fixed option file is picked up.
 */
import { errorDecision, type Decision } from '../core/decide';
import { CheckError, toCheckError } from '../core/errors';
import type { ParsedArgs } from '../config/argv';
import { resolveOptions } from '../config/option-merge';
import { DEFAULT_TIMEOUT } from '../config/option-specs';
import { checkSettings, optionSecrets } from '../config/settings';
import { writeAllSync } from '../io/bounded-io';
import { appendLine, logDecision } from '../io/log-file';
import { factError } from '../probe/facts';
import { DEFAULT_PERSIST_BASE, parsePersistBase } from '../answers/oid';
import { PassPersistSession } from '../answers/pass-persist';
import { DEFAULT_CACHE_MS, parseCacheMs, startResident, type Resident } from '../resident/engine';
import { residentActions } from '../resident/actions';
import { formatReloadLine } from '../resident/reload';
import type { LbCommandLine } from './lb-executable';
import { SNMP_OPTIONS, TOOL } from './mysql-failover-snmp';

/** Serves pass_persist until EOF on stdin; resolves with the exit status (0). */
export async function runPersist(start: LbCommandLine): Promise<number> {
  const { args } = start;
  let setupError = start.usageError;
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
  // Until the settings are read, a request waits as long as --timeout's default.
  let timeoutMs = Number(DEFAULT_TIMEOUT) * 1000;
  const cliLogFile = args?.values.get('log-file');
  const log = (file: string | undefined, d: Decision, elapsedMs: number, secrets: readonly string[]): void => {
    if (file !== undefined) logDecision(file, TOOL, d, elapsedMs, secrets);
  };
  const failed = (e: unknown, secrets: readonly string[] = []): Decision => {
    const d = errorDecision(factError(e));
    log(typeof cliLogFile === 'string' ? cliLogFile : undefined, d, 0, secrets);
    return d;
  };
  const ensure = (): Resident | Decision => {
    if (resident !== undefined) return resident;
    if (setupError !== undefined || args === undefined) return failed(setupError ?? new CheckError('USAGE', 'bad arguments'));
    let secrets: readonly string[] = [];
    try {
      const options = resolveOptions(args, SNMP_OPTIONS);
      secrets = optionSecrets(options);
      const settings = checkSettings(options);
      timeoutMs = settings.timeoutMs;
      const actions = residentActions(TOOL, undefined);
      resident = startResident(settings, {
        cacheMs,
        onCheck: (d, ms, s) => log(s.logFile, d, ms, s.secrets),
        onResult: (r, s) => actions.onResult(r, s),
        // A refused login re-reads the option files once (a rotated password), before answering DOWN.
        configuration: {
          read: () => checkSettings(resolveOptions(args, SNMP_OPTIONS)),
          onReload: (outcome, trigger) => {
            const file = outcome.settings.logFile;
            if (file !== undefined) appendLine(file, formatReloadLine(outcome, trigger, TOOL));
          },
        },
      });
      return resident;
    } catch (e) {
      return failed(e, secrets);
    }
  };
  // Started before the first request arrives: option files are read and sessions opened once.
  if (setupError === undefined && args !== undefined) ensure();
  return {
    probe: async () => {
      const r = ensure();
      return 'probe' in r ? r.probe() : r;
    },
    // A refused login may have brought a new --timeout with the new password.
    timeoutMs: () => resident?.settings().timeoutMs ?? timeoutMs,
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
