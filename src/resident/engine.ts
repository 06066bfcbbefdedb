/**
 * The resident engine behind `mysql-failover-check serve` and
 * `mysql-failover-snmp --persist`: one long-running process answering every
 * probe (HTTP, agent, pass_persist) from the same check, so a probe storm
 * costs the servers a handful of checks instead of one connection pair per
 * probe.
 *
 * - Sessions stay open between checks (kept-sessions.ts: ping before reuse,
 *   reconnect with backoff).
 * - Two kinds of check, never two at once (single-flight across both):
 *   `probe`, a load balancer's, which stamps the heartbeat when the verdict
 *   says so, exactly as the single-shot executables do; and `background`
 *   (serve's --interval watcher, a /metrics scrape, the start-up
 *   reconciliation), which never stamps: the stamp means "a load balancer
 *   used me". A background check tries the stamp and rolls it back, so a
 *   stamp that would fail (read_only, a lock, no grant) gives it the same
 *   verdict a probe gets, and the failover state does not swing between the
 *   two. Both kinds hold the failover state (actor `probe` or `watcher`).
 * - Whatever runs is shared: a probe arriving during a background check
 *   gets its answer (it is not stamped then; the next probe is), and the
 *   other way round. A finished check is reused for `cacheMs` by both; a
 *   maintenance answer is never reused for a probe: the file is looked at on
 *   every probe, because an operator draining a node expects it at once.
 * - Every check reads the replica status, even with a fresh heartbeat (the
 *   single-shot probe skips it then): /metrics shows the channels of
 *   whatever check it reuses, and the cost is one statement per check, not
 *   per probe.
 * - A check that outlives its deadline answers the probe's TIMEOUT decision
 *   and its sessions are dropped, so the next check reconnects instead of
 *   queueing behind a hung server.
 * - The configuration can be read again (reload): on request (serve's
 *   SIGHUP) and when a connect is refused a login (once per refusal, before
 *   answering DOWN). New settings get new sessions; the old ones are closed
 *   once the check using them has ended; nothing cached survives them.
 */
import { decide, errorDecision, type Decision } from '../core/decide';
import { toCheckError } from '../core/errors';
import { factError } from '../probe/facts';
import { inMaintenance, maintenanceFacts } from '../probe/maintenance';
import { probe as runProbe, type ProbeOptions, type ProbeResult } from '../probe/probe';
import type { NodeRole } from '../probe/session-source';
import type { Endpoint } from '../io/mysql';
import { keptSessions, type KeptSessions } from './kept-sessions';
import type { OptionSpec } from '../config/option-specs';
import type { CheckSettings } from '../config/settings';
import { parseSeconds } from '../config/value-parsers';
import { settingsChanges, type ReloadOutcome, type ReloadTrigger } from './reload';

export type { ReloadOutcome, ReloadTrigger } from './reload';

export const DEFAULT_CACHE_MS = 1000;

/**
 * --cache of the resident modes (serve, snmp --persist): command line only,
 * like everything that describes the process rather than the check. Each
 * executable prefixes its own help.
 */
export const CACHE_OPTION = {
  name: 'cache',
  kind: 'string',
  arg: 'SECONDS',
  default: String(DEFAULT_CACHE_MS / 1000),
  help: 'reuse a verdict this long',
  file: false,
} as const satisfies OptionSpec;

/** --cache in ms: 0 (never reuse) to an hour. */
export function parseCacheMs(text: string): number {
  return Math.round(parseSeconds('cache', text, { min: 0, max: 3600 }) * 1000);
}

export type CheckKind = 'probe' | 'background';

/** One finished check. */
export interface Checked {
  result: ProbeResult;
  kind: CheckKind;
  /** The settings it ran with (a reload may have replaced them since). */
  settings: CheckSettings;
  /** When it finished, epoch ms. */
  at: number;
}

export interface Configuration {
  /** Reads the option files again; throws (a CheckError) for a configuration that does not parse. */
  read(): CheckSettings;
  /** Told of every reload, whatever came of it (for the log line). */
  onReload?: (outcome: ReloadOutcome, trigger: ReloadTrigger) => void;
}

export interface ResidentOptions {
  /** How long a finished check is reused, in ms (default 1000; 0 = never reuse). */
  cacheMs: number;
  /** Called once per finished check (not per probe), e.g. to write the --log-file line (which scrubs the secrets). */
  onCheck?: (decision: Decision, elapsedMs: number, settings: CheckSettings) => void;
  /** Called once per finished check with all of it: the failover state's transitions and events. */
  onResult?: (result: ProbeResult, settings: CheckSettings) => void;
  /** Called once per finished check, last (metrics, HAProxy reconciliation). */
  onChecked?: (checked: Checked) => void;
  /** Where the configuration comes from again; without it, reload() changes nothing. */
  configuration?: Configuration;
}

export interface Resident {
  /** The LB verdict now. Never rejects; settles within settings.timeoutMs of the call whatever the servers do. */
  probe(): Promise<Decision>;
  /**
   * A check that never stamps, or the last one of either kind while it is
   * younger than the cache, or the one running. Never rejects; settles
   * within settings.timeoutMs of the call.
   */
  background(): Promise<Checked>;
  /** The last finished check, of either kind, whatever its age. */
  last(): Checked | undefined;
  /** The settings in force (the last reload's). */
  settings(): CheckSettings;
  /** Reads the configuration again and applies it when it changed and parses; never throws. */
  reload(trigger: ReloadTrigger): ReloadOutcome;
  /** Stops: closes the sessions; probes already waiting still get an answer. */
  close(): Promise<void>;
}

/** What the engine runs: the probe pipeline (tests hand in their own). */
export type ProbeRunner = (settings: CheckSettings, opts: ProbeOptions, startedAt: number) => Promise<ProbeResult>;

function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // Logging, hooks and metrics must not change the answer.
  }
}

function failedResult(decision: Decision, elapsedMs: number): ProbeResult {
  return { decision, raw: decision, facts: undefined, heartbeat: undefined, stamped: false, elapsedMs, timedOut: false };
}

/** The endpoint to try after a refused login, from the settings a reload applied. */
function retryEndpoint(s: CheckSettings, role: NodeRole, tried: Endpoint): Endpoint | undefined {
  if (role === 'local') return s.local;
  // --peer auto: the address is the replication source's, only the credentials come from the options.
  if (s.peerAuto !== undefined) return { ...tried, user: s.peerAuto.user, password: s.peerAuto.password };
  return s.peer;
}

export function startResident(initial: CheckSettings, opts: ResidentOptions, run: ProbeRunner = runProbe): Resident {
  interface Generation {
    settings: CheckSettings;
    sessions: KeptSessions;
  }
  const generationOf = (settings: CheckSettings): Generation => ({
    settings,
    sessions: keptSessions(settings, {
      onLoginRefused: (role, tried) => {
        reload('login-refused');
        // The settings in force now, whether this reload or a concurrent one (the other node's refusal) applied them.
        return retryEndpoint(current.settings, role, tried);
      },
    }),
  });

  let current = generationOf(initial);
  let last: Checked | undefined;
  /** The settings and sessions `last` was made with. */
  let lastGeneration: Generation | undefined;
  let flight: Promise<Checked> | undefined;
  let closing = false;

  async function check(kind: CheckKind): Promise<Checked> {
    const { settings, sessions } = current;
    const startedAt = Date.now();
    let result: ProbeResult;
    try {
      const options: ProbeOptions = {
        stamp: kind === 'probe',
        trialStamp: kind === 'background',
        alwaysReadReplication: true,
        sessions,
        failover: { mode: 'write', actor: kind === 'probe' ? 'probe' : 'watcher' },
      };
      result = await run(settings, options, startedAt);
      if (result.timedOut) sessions.drop();
    } catch (e) {
      sessions.drop();
      result = failedResult(errorDecision(factError(e)), Date.now() - startedAt);
    }
    const checked: Checked = { result, kind, settings, at: Date.now() };
    quietly(() => opts.onResult?.(result, settings));
    quietly(() => opts.onCheck?.(result.decision, checked.at - startedAt, settings));
    quietly(() => opts.onChecked?.(checked));
    return checked;
  }

  function startFlight(kind: CheckKind): Promise<Checked> {
    const generation = current;
    const f = check(kind).then((checked) => {
      last = checked;
      lastGeneration = generation;
      if (flight === f) flight = undefined;
      return checked;
    });
    flight = f;
    return f;
  }

  /** The last check, while it may still be reused: younger than the cache, and made with the settings in force. */
  function reusable(): Checked | undefined {
    if (last === undefined || lastGeneration !== current || opts.cacheMs <= 0) return undefined;
    return Date.now() - last.at < opts.cacheMs ? last : undefined;
  }

  function closed(): Checked {
    const decision = errorDecision({ code: 'CLOSED', message: 'the resident check is shutting down' });
    return { result: failedResult(decision, 0), kind: 'background', settings: current.settings, at: Date.now() };
  }

  function reload(trigger: ReloadTrigger): ReloadOutcome {
    const before = current.settings;
    let outcome: ReloadOutcome;
    const cfg = opts.configuration;
    if (cfg === undefined || closing) {
      outcome = { kind: 'unchanged', settings: before };
    } else {
      try {
        const next = cfg.read();
        const changed = settingsChanges(before, next);
        if (changed.length === 0) {
          outcome = { kind: 'unchanged', settings: before };
        } else {
          const old = current;
          current = generationOf(next);
          // A check running now keeps its sessions to the end; nobody gets them afterwards.
          if (flight === undefined) old.sessions.close();
          else void flight.finally(() => old.sessions.close());
          outcome = { kind: 'applied', changed, settings: next, previous: before };
        }
      } catch (e) {
        outcome = { kind: 'refused', error: toCheckError(e), settings: before };
      }
    }
    const told = outcome;
    quietly(() => cfg?.onReload?.(told, trigger));
    return outcome;
  }

  return {
    probe() {
      const s = current.settings;
      // With a failover state, maintenance goes through it too (its events: maintenance-on/off).
      if (s.failover === undefined && inMaintenance(s)) {
        return Promise.resolve(decide(maintenanceFacts(), s.thresholds));
      }
      const cached = reusable();
      // The maintenance answer is never reused: removing the file must bring the node back at once.
      if (cached !== undefined && cached.result.decision.reason !== 'maintenance') return Promise.resolve(cached.result.decision);
      if (flight !== undefined) return flight.then((c) => c.result.decision);
      if (closing) return Promise.resolve(closed().result.decision);
      return startFlight('probe').then((c) => c.result.decision);
    },

    background() {
      const cached = reusable();
      if (cached !== undefined) return Promise.resolve(cached);
      if (flight !== undefined) return flight;
      if (closing) return Promise.resolve(closed());
      return startFlight('background');
    },

    last: () => last,
    settings: () => current.settings,
    reload,

    async close() {
      closing = true;
      // check() never rejects and ends within the timeout (the probe's guard).
      if (flight !== undefined) await flight;
      current.sessions.close();
    },
  };
}
