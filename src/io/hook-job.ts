/**
 * The hooks (and HAProxy pushes) of one event as a job: in-process for a
 * resident `serve` (runHookJob), or as a detached process for the
 * single-shot executables (startDetachedHooks), because an answer never
 * waits for a hook: snmpd's extend, xinetd's http and agent services must
 * answer and exit at once, and the hooks of that run go on without them.
 *
 * The detached process is `node dist/src/io/hook-job.js '<job as JSON>'`:
 * this module's tsc output, which the package ships (package.json "files"
 * has dist/). From an esbuild bundle (dist/bundle/<name>.js) it is found
 * as ../src/io/hook-job.js. When it cannot be found, the job is not run in
 * the answering process (that would delay the answer or die with it): a
 * log line says so.
 *
 * RULE: the job travels in argv, which any local user can read with `ps`.
 * It must never hold a secret: no password, no option-file content, no
 * environment of ours. It holds the event description, hook paths, the log
 * file path and HAProxy addresses, nothing else; and the job process gets
 * only the whitelisted environment a hook gets.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { baseEnvironment, formatHookLine, longestRunMs, runHook, type HookEvent, type HookRun } from './hook-runner';
import type { HaproxyPush, PushOutcome } from './haproxy-runtime';

export interface HookJob {
  /** Absolute paths of the hooks, run one after the other in this order. */
  commands: string[];
  /** The events of one evaluation, in order (a cause before the verdict it explains): each runs every command. */
  events: HookEvent[];
  timeoutMs: number;
  killGraceMs?: number;
  /** --log-file: one line per hook run and per push is appended here. */
  logFile?: string;
  /** Names the executable in the log lines. */
  tool: string;
  /** States to push into HAProxies, alongside the hooks. */
  haproxy?: HaproxyPush[];
  /** Bounds each push (its read and its `set server` together). */
  haproxyTimeoutMs?: number;
  /** Where the last hook run is recorded, for `status` (the failover state file). */
  record?: { stateFile: string; identity: string };
}

export const DEFAULT_HAPROXY_TIMEOUT_MS = 5_000;
/** Start-up, log writes and exit of the detached process, on top of the runs' own bounds. */
const JOB_MARGIN_MS = 5_000;

export interface JobCallbacks {
  /** After each hook run (for a resident serve to record the last run). */
  onRun?: (run: HookRun) => void;
  onPush?: (outcome: PushOutcome) => void;
}

/** The longest a job can take: its hooks one after the other, its pushes beside them. */
export function jobBudgetMs(job: HookJob): number {
  const hooks = job.events.length * job.commands.length * longestRunMs({ timeoutMs: job.timeoutMs, killGraceMs: job.killGraceMs });
  const pushes = job.haproxy?.length ? (job.haproxyTimeoutMs ?? DEFAULT_HAPROXY_TIMEOUT_MS) : 0;
  return Math.max(hooks, pushes) + JOB_MARGIN_MS;
}

/** Appends one line; a log that cannot be written must not stop the job. */
function appendLine(file: string | undefined, line: string): void {
  if (file === undefined) return;
  try {
    fs.appendFileSync(file, line, { mode: 0o640 });
  } catch {
    // nowhere left to report it
  }
}

/** The log line of a job that could not start or finish. */
export function formatJobErrorLine(job: Pick<HookJob, 'tool' | 'events'>, code: string, detail: string, now = new Date()): string {
  return (
    `${now.toISOString()} ${job.tool} pid=${process.pid} hook_job=failed event=${JSON.stringify(job.events.map((e) => e.event).join(','))} ` +
    `error=${code} detail=${JSON.stringify(detail)}\n`
  );
}

function callQuietly<T>(fn: ((x: T) => void) | undefined, x: T): void {
  try {
    fn?.(x);
  } catch {
    // a caller's bookkeeping must not stop the other hooks
  }
}

/**
 * Runs the job's hooks in order (each bounded by runHook) and, at the same
 * time, its HAProxy pushes; logs a line for each; never rejects. Ends
 * within jobBudgetMs(job).
 */
export async function runHookJob(job: HookJob, callbacks: JobCallbacks = {}): Promise<void> {
  const hooks = async (): Promise<void> => {
    for (const event of job.events) {
      for (const command of job.commands) {
        const run = await runHook(command, event, { timeoutMs: job.timeoutMs, killGraceMs: job.killGraceMs });
        appendLine(job.logFile, formatHookLine(run, job.tool));
        if (job.record !== undefined) {
          // Loaded only for a job that records: it brings the ini package along.
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const { recordHookRun } = require('./state-file') as typeof import('./state-file');
          await recordHookRun(job.record.stateFile, job.record.identity, run);
        }
        callQuietly(callbacks.onRun, run);
      }
    }
  };
  const pushes = async (): Promise<void> => {
    const list = job.haproxy ?? [];
    if (list.length === 0) return;
    // Only a job with pushes loads the socket code.
    const { pushServerState, formatPushLine } = await import('./haproxy-runtime');
    const timeoutMs = job.haproxyTimeoutMs ?? DEFAULT_HAPROXY_TIMEOUT_MS;
    await Promise.all(
      list.map(async (push) => {
        const outcome = await pushServerState(push, timeoutMs);
        appendLine(job.logFile, formatPushLine(outcome, job.tool));
        callQuietly(callbacks.onPush, outcome);
      }),
    );
  };
  await Promise.all([hooks(), pushes()]).catch((e: unknown) => {
    appendLine(job.logFile, formatJobErrorLine(job, 'INTERNAL', e instanceof Error ? e.message : String(e)));
  });
}

/** This module's tsc output, from itself or from a bundle; undefined when it is not there. */
export function jobScriptPath(): string | undefined {
  const candidates = [
    ...(path.basename(__filename) === 'hook-job.js' ? [__filename] : []),
    // Inside dist/bundle/<name>.js, __dirname is dist/bundle.
    path.join(__dirname, '..', 'src', 'io', 'hook-job.js'),
  ];
  return candidates.find((p) => fs.existsSync(p));
}

/**
 * Starts the job in a detached process (own session, no stdio, not waited
 * for) and returns at once: spawn is synchronous and nothing here waits
 * for the child. Returns its pid, or undefined when it could not start
 * (logged to job.logFile).
 */
export function startDetachedHooks(job: HookJob): number | undefined {
  const script = jobScriptPath();
  if (script === undefined) {
    appendLine(job.logFile, formatJobErrorLine(job, 'HOOK_JOB_MISSING', `no hook-job.js beside ${__dirname}; hooks not run`));
    return undefined;
  }
  try {
    const child = spawn(process.execPath, [script, JSON.stringify(job)], {
      detached: true,
      stdio: 'ignore',
      cwd: '/',
      env: baseEnvironment(),
    });
    child.on('error', (e: NodeJS.ErrnoException) => appendLine(job.logFile, formatJobErrorLine(job, e.code ?? 'SPAWN_FAILED', e.message)));
    child.unref();
    return child.pid;
  } catch (e) {
    const code = String((e as { code?: unknown }).code ?? 'SPAWN_FAILED');
    appendLine(job.logFile, formatJobErrorLine(job, code, e instanceof Error ? e.message : String(e)));
    return undefined;
  }
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isString = (x: unknown): x is string => typeof x === 'string';

/** The job from its JSON, checked field by field (it came through argv, so it is checked like input). */
export function parseHookJob(text: string): HookJob {
  const j: unknown = JSON.parse(text);
  const bad = (what: string): Error => new Error(`hook job: bad ${what}`);
  if (!isObject(j)) throw bad('job');
  const { commands, events, timeoutMs, killGraceMs, logFile, tool, haproxy, haproxyTimeoutMs } = j;
  if (!Array.isArray(commands) || !commands.every(isString)) throw bad('commands');
  if (!Array.isArray(events)) throw bad('events');
  for (const event of events) {
    if (!isObject(event)) throw bad('event');
    for (const k of ['event', 'node', 'peer', 'from', 'to', 'reason', 'actor'] as const) {
      if (!isString(event[k])) throw bad(`event.${k}`);
    }
    if (!(event['lag'] === null || typeof event['lag'] === 'number') || typeof event['time'] !== 'number') throw bad('event.lag/time');
  }
  const positive = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0;
  if (!positive(timeoutMs)) throw bad('timeoutMs');
  if (killGraceMs !== undefined && !positive(killGraceMs)) throw bad('killGraceMs');
  if (haproxyTimeoutMs !== undefined && !positive(haproxyTimeoutMs)) throw bad('haproxyTimeoutMs');
  if (logFile !== undefined && !isString(logFile)) throw bad('logFile');
  if (!isString(tool)) throw bad('tool');
  if (j['record'] !== undefined) {
    const r = j['record'];
    if (!isObject(r) || !isString(r['stateFile']) || !isString(r['identity'])) throw bad('record');
  }
  // Each push is validated where it is used (reconcileServerState checks names and state).
  if (haproxy !== undefined && !(Array.isArray(haproxy) && haproxy.every(isObject))) throw bad('haproxy');
  return j as unknown as HookJob;
}

/** The detached process: runs the job, bounded by a watchdog, and exits. */
async function main(argv: string[]): Promise<number> {
  let job: HookJob;
  try {
    job = parseHookJob(argv[0] ?? '');
  } catch {
    return 2; // no log file known to say it in
  }
  const watchdog = setTimeout(() => {
    appendLine(job.logFile, formatJobErrorLine(job, 'TIMEOUT', `hook job still running after ${jobBudgetMs(job)} ms; exiting`));
    process.exit(3);
  }, jobBudgetMs(job));
  await runHookJob(job);
  clearTimeout(watchdog);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    () => process.exit(1),
  );
}
