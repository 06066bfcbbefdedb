/**
 * Reading the configuration again in a resident process (docs/operations.md,
 * "Reload"): which settings a new configuration changes, by the name of the
 * option that sets each (never its value: a password is a setting too), and
 * the --log-file line that says what came of a reload.
 */
import type { CheckError } from '../core/errors';
import { redact } from '../core/redact';
import type { CheckSettings } from '../config/settings';
import { quote } from '../io/log-file';

export type ReloadTrigger = 'SIGHUP' | 'login-refused';

export type ReloadOutcome =
  | { kind: 'applied'; changed: string[]; settings: CheckSettings; previous: CheckSettings }
  | { kind: 'unchanged'; settings: CheckSettings }
  /** The configuration did not parse: the settings in force are kept. */
  | { kind: 'refused'; error: CheckError; settings: CheckSettings };

/** Each setting under the name of the option that sets it, as comparable text. */
function flatten(s: CheckSettings): Map<string, string> {
  const f = s.failover;
  const peerUser = s.peer?.user ?? s.peerAuto?.user;
  const peerPassword = s.peer?.password ?? s.peerAuto?.password;
  const entries: Array<[string, unknown]> = [
    ['host', s.local.host],
    ['port', s.local.port],
    ['socket', s.local.socket],
    ['user', s.local.user],
    ['password', s.local.password],
    ['peer', s.peerAuto !== undefined ? 'auto' : s.peer === undefined ? undefined : [s.peer.host, s.peer.port, s.peer.socket]],
    ['peer-user', peerUser],
    ['peer-password', peerPassword],
    ['table', `${s.table.database}.${s.table.table}`],
    ['node', s.node],
    ['fresh', s.thresholds.fresh],
    ['max-lag', s.thresholds.maxLag],
    ['channel', s.thresholds.channel],
    ['timeout', s.timeoutMs],
    ['maintenance-file', s.maintenanceFile],
    ['log-file', s.logFile],
    ['state-file', f?.stateFile],
    ['down-after', f?.policy.downAfterMs],
    ['up-after', f?.policy.upAfterMs],
    ['failback', f?.policy.failback],
    ['flap-limit', f?.policy.flapLimit],
    ['flap-window', f?.policy.flapWindowMs],
    ['on-event', f?.hooks],
    ['hook-timeout', f?.hookTimeoutMs],
    ['haproxy', f?.haproxy],
  ];
  return new Map(entries.map(([k, v]) => [k, JSON.stringify(v) ?? '']));
}

/** The options whose settings differ between `a` and `b`, in a fixed order; empty when nothing changed. */
export function settingsChanges(a: CheckSettings, b: CheckSettings): string[] {
  const before = flatten(a);
  const after = flatten(b);
  return [...after.keys()].filter((k) => before.get(k) !== after.get(k));
}

/** The --log-file line of a reload: what triggered it and what came of it; secrets scrubbed from the error. */
export function formatReloadLine(outcome: ReloadOutcome, trigger: ReloadTrigger, tool: string, now = new Date()): string {
  const head = `${now.toISOString()} ${tool} pid=${process.pid} reload=${outcome.kind} trigger=${trigger}`;
  switch (outcome.kind) {
    case 'applied':
      return `${head} changed=${quote(outcome.changed.join(','))}\n`;
    case 'unchanged':
      return `${head}\n`;
    case 'refused':
      return `${head} error=${outcome.error.code} detail=${quote(redact(outcome.error.message, outcome.settings.secrets))}\n`;
  }
}

/** The same for people (serve's stdout or stderr, the journal): one line, no timestamp. */
export function describeReload(outcome: ReloadOutcome, trigger: ReloadTrigger): string {
  const why = trigger === 'SIGHUP' ? 'on SIGHUP' : 'after a refused login';
  switch (outcome.kind) {
    case 'applied':
      return `reloaded the option files ${why}: changed ${outcome.changed.join(', ')}`;
    case 'unchanged':
      return `read the option files ${why}: nothing changed`;
    case 'refused':
      return `kept the old configuration ${why}: ${redact(outcome.error.message, outcome.settings.secrets)}`;
  }
}
