/**
 * The Prometheus answer: what `serve` shows on `GET /metrics`, in the text
 * exposition format, built with prom-client. See docs/design.md (Metrics).
 *
 * Only `serve` loads this module (lazily, through createMetrics), so the
 * single-shot executables never pay for prom-client.
 *
 * Gauges are a pure function of the last evaluation, rebuilt into a fresh
 * registry on every render: a channel that disappeared from the last
 * evaluation therefore disappears from the output without bookkeeping, and
 * nothing is shown as 0 that was never measured (prom-client shows a gauge
 * without labels as 0 until it is set). Counters live for the life of the
 * process and are added to that registry as they are.
 *
 * Choices an operator relies on:
 * - Replication lag is NaN when the server reports NULL (threads stopped,
 *   reconnecting): the series stays while the channel exists, so an alert on
 *   it does not go silent exactly when replication breaks.
 * - The default replication channel (MariaDB's unnamed default connection,
 *   MySQL's '' channel) is `channel=""`, which Prometheus stores as a series
 *   without the label: MariaDB accepts a connection literally named
 *   "default" beside the unnamed one, so spelling the unnamed one "default"
 *   could merge two channels into one series. It is also how
 *   prometheus-mysqld-exporter labels it (`channel_name=""`).
 * - The peer series are absent when no peer is configured: a single node is
 *   not a pair whose peer is lost.
 * - Before the first evaluation only what is known is shown: every state at
 *   0, the counters, build info, and the age of the last evaluation as +Inf.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { CheckError } from '../core/errors';
import { STATE_NAMES, type StateName } from '../core/failover-state';

/** Every state of the failover state machine: each is a series, always present. */
export const STATES = STATE_NAMES;
export type State = StateName;

export const PROBE_KINDS = ['http', 'agent', 'snmp'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

export interface EvaluationSnapshot {
  /** Epoch milliseconds when the evaluation finished. */
  at: number;
  durationMs: number;
  /** What the load balancer is told (after hysteresis and the failback latch). */
  answered: { verdict: 'UP' | 'DOWN'; reason: string };
  /** The decision table's verdict before hysteresis and latch. */
  raw: { verdict: 'UP' | 'DOWN'; reason: string };
  /** One of STATES. */
  state: string;
  heartbeatAgeSeconds: number | null;
  peer: 'none' | 'reachable' | 'refused' | 'unreachable';
  channels: Array<{
    /** '' for the default channel. */
    name: string;
    lagSeconds: number | null;
    ioRunning: boolean;
    sqlRunning: boolean;
    lastIoErrno: number;
    lastSqlErrno: number;
  }>;
}

export interface FailoverMetrics {
  observeEvaluation(s: EvaluationSnapshot): void;
  countProbe(kind: ProbeKind): void;
  countTransition(from: string, to: string): void;
  /** `status`: the hook's exit code as text, or 'timeout', 'signal', 'spawn-error'. */
  countHookRun(status: string): void;
  /** `now`: epoch milliseconds, for the age of the last evaluation. */
  render(now: number): Promise<{ contentType: string; body: string }>;
}

const PREFIX = 'mysql_failover_';

/** Hook statuses besides an exit code; a closed set keeps the label's cardinality bounded. */
const HOOK_STATUS_WORDS: ReadonlySet<string> = new Set(['timeout', 'signal', 'spawn-error']);

function isState(s: string): s is State {
  return (STATES as readonly string[]).includes(s);
}

function bit(b: boolean): number {
  return b ? 1 : 0;
}

/** The gauge families of one evaluation, into `registry`. */
function addEvaluationGauges(registry: Registry, s: EvaluationSnapshot): void {
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> =>
    new Gauge<L>({ name: PREFIX + name, help, labelNames, registers: [registry] });

  gauge('answer_up', 'Whether the load balancer is told to send traffic here (1) or not (0).').set(bit(s.answered.verdict === 'UP'));
  gauge('raw_up', "The decision table's verdict before hysteresis and the failback latch: 1 UP, 0 DOWN.").set(bit(s.raw.verdict === 'UP'));
  gauge('reason_info', 'The reason for the answered verdict and for the raw verdict; always 1.', ['reason', 'raw_reason']).set(
    { reason: s.answered.reason, raw_reason: s.raw.reason },
    1,
  );
  gauge('heartbeat_age_seconds', "Age of this node's heartbeat stamp by the local server's clock; NaN when unknown.").set(
    s.heartbeatAgeSeconds ?? NaN,
  );

  const lag = gauge('replication_lag_seconds', 'Seconds_Behind_Master of the channel; NaN when the server reports NULL.', ['channel']);
  const io = gauge('replication_io_running', 'Whether the channel\'s IO thread is running ("Yes"): 1, else 0.', ['channel']);
  const sql = gauge('replication_sql_running', 'Whether the channel\'s SQL thread is running ("Yes"): 1, else 0.', ['channel']);
  const errno = gauge('replication_last_error_number', 'Last_IO_Errno / Last_SQL_Errno of the channel; 0 for none.', ['channel', 'thread']);
  for (const c of s.channels) {
    const channel = c.name;
    lag.set({ channel }, c.lagSeconds ?? NaN);
    io.set({ channel }, bit(c.ioRunning));
    sql.set({ channel }, bit(c.sqlRunning));
    errno.set({ channel, thread: 'io' }, c.lastIoErrno);
    errno.set({ channel, thread: 'sql' }, c.lastSqlErrno);
  }

  if (s.peer !== 'none') {
    // A peer that refuses the login (1045, 1040, ...) is alive: it does not count as lost.
    gauge('peer_reachable', 'Whether the peer answered at all (1), even with a refusal, or could not be reached (0).').set(
      bit(s.peer !== 'unreachable'),
    );
    gauge('peer_login_ok', 'Whether the monitor user could log in to the peer: 1, else 0.').set(bit(s.peer === 'reachable'));
  }
  gauge('check_duration_seconds', 'How long the last evaluation took.').set(s.durationMs / 1000);
  gauge('last_evaluation_timestamp_seconds', 'When the last evaluation finished, in seconds since the epoch.').set(s.at / 1000);
}

/**
 * prom-client writes NaN as `Nan`. Prometheus reads it (Go's ParseFloat
 * ignores case), but the format documents `NaN`, and people grep for that.
 * Only a sample line can end in ` Nan`: label values are quoted and their
 * line breaks escaped, and comment lines start with '#'.
 */
function spellNaN(text: string): string {
  return text.replace(/^([^#\n].*) Nan$/gm, '$1 NaN');
}

export function createMetrics(opts: { version: string }): FailoverMetrics {
  // Counters: created once, in no registry (never the global default one), added to each render's.
  const counters = {
    checks: new Counter({ name: `${PREFIX}checks_total`, help: 'Evaluations run.', registers: [] }),
    probes: new Counter<'kind'>({
      name: `${PREFIX}probes_total`,
      help: 'Probes answered, by kind of load-balancer probe.',
      labelNames: ['kind'],
      registers: [],
    }),
    transitions: new Counter<'from' | 'to'>({
      name: `${PREFIX}transitions_total`,
      help: 'Changes of the failover state, by state left and state entered.',
      labelNames: ['from', 'to'],
      registers: [],
    }),
    hookRuns: new Counter<'status'>({
      name: `${PREFIX}hook_runs_total`,
      help: 'Runs of the --on-event command, by exit status (or timeout, signal, spawn-error).',
      labelNames: ['status'],
      registers: [],
    }),
  };
  // Initialised to 0 so that rate() and increase() see the first event.
  for (const kind of PROBE_KINDS) counters.probes.inc({ kind }, 0);
  for (const from of STATES) {
    for (const to of STATES) if (from !== to) counters.transitions.inc({ from, to }, 0);
  }

  let last: EvaluationSnapshot | undefined;

  return {
    observeEvaluation(s) {
      if (!isState(s.state)) throw new CheckError('INTERNAL', `metrics: unknown failover state ${JSON.stringify(s.state)}`);
      last = { ...s, answered: { ...s.answered }, raw: { ...s.raw }, channels: s.channels.map((c) => ({ ...c })) };
      counters.checks.inc();
    },

    countProbe(kind) {
      if (!(PROBE_KINDS as readonly string[]).includes(kind)) {
        throw new CheckError('INTERNAL', `metrics: unknown probe kind ${JSON.stringify(kind)}`);
      }
      counters.probes.inc({ kind });
    },

    countTransition(from, to) {
      if (!isState(from) || !isState(to) || from === to) {
        throw new CheckError('INTERNAL', `metrics: not a transition between states: ${JSON.stringify(from)} -> ${JSON.stringify(to)}`);
      }
      counters.transitions.inc({ from, to });
    },

    countHookRun(status) {
      if (!/^(?:\d|[1-9]\d|1\d\d|2[0-4]\d|25[0-5])$/.test(status) && !HOOK_STATUS_WORDS.has(status)) {
        throw new CheckError('INTERNAL', `metrics: not a hook status: ${JSON.stringify(status)}`);
      }
      counters.hookRuns.inc({ status });
    },

    async render(now) {
      const registry = new Registry();
      new Gauge({
        name: `${PREFIX}build_info`,
        help: 'Version of mysql-failover-check and of Node.js; always 1.',
        labelNames: ['version', 'nodejs'],
        registers: [registry],
      }).set({ version: opts.version, nodejs: process.version }, 1);
      const state = new Gauge<'state'>({
        name: `${PREFIX}state`,
        help: 'The failover state: 1 for the current one, 0 for every other (all states always present).',
        labelNames: ['state'],
        registers: [registry],
      });
      for (const st of STATES) state.set({ state: st }, bit(last?.state === st));
      new Gauge({
        name: `${PREFIX}last_evaluation_age_seconds`,
        help: 'Seconds since the last evaluation finished, at the time of the scrape; +Inf before the first.',
        registers: [registry],
      }).set(last === undefined ? Infinity : Math.max(0, (now - last.at) / 1000)); // a clock stepped back is not a negative age
      if (last !== undefined) addEvaluationGauges(registry, last);
      registry.registerMetric(counters.checks);
      registry.registerMetric(counters.probes);
      registry.registerMetric(counters.transitions);
      registry.registerMetric(counters.hookRuns);
      return { contentType: registry.contentType, body: spellNaN(await registry.metrics()) };
    },
  };
}
