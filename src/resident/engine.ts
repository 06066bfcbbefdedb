/**
 * The resident engine behind `mysql-failover-check serve`: one long-running
 * process answering every probe (HTTP, agent, pass_persist) from the same
 * check, so a probe storm costs the servers a handful of checks instead of
 * one connection pair per probe.
 *
 * - Sessions stay open between checks (kept-sessions.ts: ping before reuse,
 *   reconnect with backoff).
 * - Single-flight: probes that arrive while a check runs wait for that check.
 * - A finished decision is reused for `cacheMs`; the maintenance file is not:
 *   it is looked at on every probe, because an operator draining a node
 *   expects the answer to change at once.
 * - The check is the single-shot LB probe (src/probe/probe.ts, stamping when
 *   the verdict says so), so both modes give the same verdicts; a check that
 *   outlives its deadline answers the probe's TIMEOUT decision and its
 *   sessions are dropped, so the next check reconnects instead of queueing
 *   behind a hung server.
 */
import { decide, errorDecision, type Decision } from '../core/decide';
import { factError } from '../probe/facts';
import { inMaintenance, maintenanceFacts } from '../probe/maintenance';
import { probe, type ProbeResult } from '../probe/probe';
import { keptSessions } from './kept-sessions';
import type { OptionSpec } from '../config/option-specs';
import type { CheckSettings } from '../config/settings';
import { parseSeconds } from '../config/value-parsers';

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

export interface ResidentOptions {
  /** How long a finished check's decision is reused, in ms (default 1000; 0 = never reuse). */
  cacheMs: number;
  /** Called once per finished check (not per probe), e.g. to write the --log-file line (which scrubs the secrets). */
  onCheck?: (decision: Decision, elapsedMs: number) => void;
  /** Called once per finished check with all of it: the failover state's transitions and events. */
  onResult?: (result: ProbeResult) => void;
}

export interface Resident {
  /** The LB verdict now. Never rejects; settles within settings.timeoutMs of the call whatever the servers do. */
  probe(): Promise<Decision>;
  /** Stops: closes the sessions; probes already waiting still get an answer. */
  close(): Promise<void>;
}

export function startResident(settings: CheckSettings, opts: ResidentOptions): Resident {
  const sessions = keptSessions(settings);
  let cached: { decision: Decision; until: number } | undefined;
  let flight: Promise<Decision> | undefined;
  let closing = false;

  async function check(): Promise<Decision> {
    const startedAt = Date.now();
    let decision: Decision;
    try {
      const result = await probe(
        settings,
        { stamp: true, alwaysReadReplication: false, sessions, failover: { mode: 'write', actor: 'probe' } },
        startedAt,
      );
      if (result.timedOut) sessions.drop();
      decision = result.decision;
      try {
        opts.onResult?.(result);
      } catch {
        // Logging and hooks must not change the answer.
      }
    } catch (e) {
      sessions.drop();
      decision = errorDecision(factError(e));
    }
    try {
      opts.onCheck?.(decision, Date.now() - startedAt);
    } catch {
      // A failing log must not change the answer.
    }
    return decision;
  }

  function startFlight(): Promise<Decision> {
    const f = check().then((decision) => {
      // The maintenance answer is never reused: removing the file must bring the node back at once.
      if (opts.cacheMs > 0 && decision.reason !== 'maintenance') {
        cached = { decision, until: Date.now() + opts.cacheMs };
      }
      if (flight === f) flight = undefined;
      return decision;
    });
    flight = f;
    return f;
  }

  return {
    probe() {
      // With a failover state, maintenance goes through it too (its events: maintenance-on/off).
      if (settings.failover === undefined && inMaintenance(settings)) {
        return Promise.resolve(decide(maintenanceFacts(), settings.thresholds));
      }
      if (cached !== undefined && Date.now() < cached.until) return Promise.resolve(cached.decision);
      if (flight !== undefined) return flight;
      if (closing) {
        return Promise.resolve(errorDecision({ code: 'CLOSED', message: 'the resident check is shutting down' }));
      }
      return startFlight();
    },

    async close() {
      closing = true;
      // check() never rejects and ends within the timeout (the probe's guard).
      if (flight !== undefined) await flight;
      sessions.close();
    },
  };
}
