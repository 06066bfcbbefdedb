/**
 * Runs one event hook (`--on-event CMD`): `CMD EVENT NODE FROM TO REASON`,
 * bounded in time and output, with an environment built from scratch. The
 * contract (arguments, MFC_* variables, timeouts) is documented for
 * operators in docs/acting-on-transitions.md; see docs/design.md, "Acting on
 * transitions".
 *
 * Never a shell: the command is one absolute path, spawned with an argv
 * array. A node name such as `x; touch /tmp/pwned $(id)` reaches the hook as
 * one argument and nothing evaluates it.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { CheckError } from '../core/errors';

export type HookActor = 'probe' | 'watcher' | 'operator';

export interface HookEvent {
  event: string;
  node: string;
  peer: string;
  from: string;
  to: string;
  reason: string;
  /** Replication lag in seconds; null when unknown. */
  lag: number | null;
  /** When the transition happened, epoch ms. */
  time: number;
  actor: HookActor;
}

export interface HookRun {
  command: string;
  event: string;
  /** The hook's exit status; null when it ended by a signal, never ran, or never ended. */
  exitCode: number | null;
  signal: string | null;
  /** The hook itself was still running at timeoutMs (and got SIGTERM). */
  timedOut: boolean;
  /** SIGKILL was needed: something of the hook's process group outlived SIGTERM by killGraceMs. */
  killed: boolean;
  durationMs: number;
  /** stdout and stderr interleaved, the last OUTPUT_LIMIT bytes, control characters replaced. */
  output: string;
  /** Why the hook did not run: 'USAGE' (not an absolute path) or Node's err.code (ENOENT, EACCES, ...). */
  error?: string;
}

export interface HookRunOptions {
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL. */
  killGraceMs?: number;
}

export const DEFAULT_KILL_GRACE_MS = 5_000;
/** The hook's output kept for the log: its tail, where the error usually is. */
export const OUTPUT_LIMIT = 4_096;
/**
 * After SIGKILL: how long to wait for the output pipes to close. A process
 * that left the hook's process group (setsid) can hold them forever; this
 * is the last bound before the run settles regardless.
 */
const AFTER_KILL_MS = 1_000;

/**
 * Variables copied from our environment, when present. Nothing else is:
 * ours may hold MYSQL_PWD or another secret that a hook must not see (and
 * could log).
 */
const ENV_WHITELIST = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'LOGNAME', 'USER'] as const;
/** snmpd and xinetd may start us with no PATH at all; a shell script hook still needs one. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Throws USAGE unless `command` is an absolute path. Why not a command line
 * or a name looked up in PATH: snmpd and xinetd run us with a minimal (or
 * no) PATH, so a bare name would find a different program or none; and
 * splitting a command line needs a shell's rules, which re-opens the
 * injection the argv array closes. Arguments for a hook go in a wrapper
 * script.
 */
export function checkHookCommand(command: string): void {
  if (command === '' || !path.isAbsolute(command) || command.includes('\0')) {
    throw new CheckError('USAGE', `hook command must be the absolute path of an executable, got ${JSON.stringify(command)}`);
  }
}

/** The whitelisted part of `from`, with a PATH. */
export function baseEnvironment(from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ENV_WHITELIST) {
    const value = from[name];
    if (value !== undefined) env[name] = value;
  }
  env['PATH'] ??= DEFAULT_PATH;
  return env;
}

/** The hook's whole environment: the whitelist plus the MFC_* description of the event. */
export function hookEnvironment(ev: HookEvent, from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env = baseEnvironment(from);
  env['MFC_EVENT'] = ev.event;
  env['MFC_NODE'] = ev.node;
  env['MFC_PEER'] = ev.peer;
  env['MFC_FROM'] = ev.from;
  env['MFC_TO'] = ev.to;
  env['MFC_REASON'] = ev.reason;
  env['MFC_LAG'] = ev.lag === null || !Number.isFinite(ev.lag) ? '' : String(ev.lag);
  env['MFC_TIME'] = Number.isFinite(ev.time) ? new Date(ev.time).toISOString() : '';
  env['MFC_ACTOR'] = ev.actor;
  return env;
}

/**
 * Keeps \n and \t, replaces the other C0 and C1 controls (a terminal escape
 * sequence in a hook's output must not reach whoever reads the log with
 * `less` or `cat`).
 */
function safeText(text: string): string {
  // Control characters are what this replaces: a hook's output must not rewrite a terminal or split a log line.
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '?');
}

/** The last `limit` bytes of everything appended, and whether anything was dropped. */
class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = false;

  constructor(private readonly limit: number) {}

  append(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size > 2 * this.limit) this.trim();
  }

  private trim(): void {
    if (this.size <= this.limit) return;
    const all = Buffer.concat(this.chunks);
    this.chunks = [all.subarray(all.length - this.limit)];
    this.size = this.limit;
    this.dropped = true;
  }

  text(): string {
    this.trim();
    // A cut through a multi-byte character decodes to U+FFFD: harmless.
    const body = safeText(Buffer.concat(this.chunks).toString('utf8')).replace(/\n+$/, '');
    return this.dropped ? `...${body}` : body;
  }
}

/** The longest a runHook with these options can take before it settles. */
export function longestRunMs(opts: HookRunOptions): number {
  return opts.timeoutMs + (opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS) + AFTER_KILL_MS;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // The hook leads its own process group (detached), so this reaches the
    // children it started too, not only the hook.
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the whole group is gone already.
  }
}

/**
 * Runs the hook and resolves with what happened; never rejects. The run
 * settles when the hook has exited and its output pipes are closed; at
 * timeoutMs its whole process group gets SIGTERM (also when the hook
 * exited but a child of it still holds the output open), SIGKILL
 * killGraceMs later, and the run settles at the latest AFTER_KILL_MS after
 * that, whatever is left.
 */
export function runHook(command: string, ev: HookEvent, opts: HookRunOptions): Promise<HookRun> {
  const started = Date.now();
  const graceMs = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const base = { command, event: ev.event };
  const failed = (error: string): HookRun => ({
    ...base,
    exitCode: null,
    signal: null,
    timedOut: false,
    killed: false,
    durationMs: Date.now() - started,
    output: '',
    error,
  });
  try {
    checkHookCommand(command);
  } catch {
    return Promise.resolve(failed('USAGE'));
  }

  return new Promise<HookRun>((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(command, [ev.event, ev.node, ev.from, ev.to, ev.reason], {
        env: hookEnvironment(ev),
        // Not our working directory: a daemon's cwd is arbitrary, and a hook should not keep it busy.
        cwd: '/',
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        shell: false,
        windowsHide: true,
      });
    } catch (e) {
      // Synchronous refusals: a NUL byte in an argument, E2BIG, ...
      resolve(failed(String((e as { code?: unknown }).code ?? 'SPAWN_FAILED')));
      return;
    }

    const output = new OutputTail(OUTPUT_LIMIT);
    let exitCode: number | null = null;
    let signal: string | null = null;
    let exited = false;
    let timedOut = false;
    let killed = false;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];

    const settle = (error?: string): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      child.stdout?.destroy();
      child.stderr?.destroy();
      const run: HookRun = { ...base, exitCode, signal, timedOut, killed, durationMs: Date.now() - started, output: output.text() };
      if (error !== undefined) run.error = error;
      resolve(run);
    };

    child.stdout?.on('data', (d: Buffer) => output.append(d));
    child.stderr?.on('data', (d: Buffer) => output.append(d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      // Spawn failures (ENOENT, EACCES, ENOEXEC) arrive here, with no 'exit' before.
      if (!exited) settle(e.code ?? 'SPAWN_FAILED');
    });
    child.on('exit', (code, sig) => {
      exited = true;
      exitCode = code;
      signal = sig;
    });
    child.on('close', () => settle());

    timers.push(
      setTimeout(() => {
        if (child.pid === undefined) return;
        timedOut = !exited;
        signalGroup(child.pid, 'SIGTERM');
        timers.push(
          setTimeout(() => {
            if (child.pid === undefined) return;
            killed = true;
            signalGroup(child.pid, 'SIGKILL');
            timers.push(setTimeout(() => settle(), AFTER_KILL_MS));
          }, graceMs),
        );
      }, opts.timeoutMs),
    );
  });
}

/** A value in a key=value log line: bare when it is one plain token, JSON-quoted otherwise. */
function logValue(text: string): string {
  return /^[A-Za-z0-9_./:@+-]*$/.test(text) ? text : JSON.stringify(text);
}

/**
 * The hook's log line, in the style of the --log-file lines (one line,
 * key=value); the output is JSON-quoted, so its newlines stay escaped.
 */
export function formatHookLine(run: HookRun, tool: string, now = new Date()): string {
  const error = run.error === undefined ? '' : ` error=${logValue(run.error)}`;
  return (
    `${now.toISOString()} ${tool} pid=${process.pid} hook=${logValue(run.command)} event=${logValue(run.event)} ` +
    `exit=${run.exitCode ?? ''} signal=${run.signal ?? ''} timed_out=${run.timedOut} killed=${run.killed} ` +
    `duration_ms=${run.durationMs}${error} output=${JSON.stringify(run.output)}\n`
  );
}
