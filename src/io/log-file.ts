/**
 * The per-run log line (--log-file): the original script's log, done
 * properly: one line, key=value, appended atomically (O_APPEND, one write).
 * The line leaves the process here, so its free text (`detail`) is scrubbed
 * of the secrets here, once, whoever wrote it.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { appendFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Decision } from '../core/decide';
import { redact } from '../core/redact';
import { isoUtc } from '../core/utc-time';

export interface LogFields {
  tool: string;
  verdict: string;
  reason: string;
  detail: string;
  elapsedMs: number;
  /** Problems that did not decide the verdict (a refusing peer, ...); left out when there are none. */
  warnings?: readonly string[] | undefined;
}

/** A free-text value on a log line: one line, JSON-quoted. */
export function quote(text: string): string {
  return JSON.stringify(text.replace(/[\r\n]+/g, ' '));
}

export function formatLogLine(f: LogFields, now = new Date()): string {
  return (
    `${isoUtc(now.getTime())} ${f.tool} pid=${process.pid} verdict=${f.verdict} reason=${f.reason} ` +
    `elapsed_ms=${f.elapsedMs} detail=${quote(f.detail)}` +
    (f.warnings !== undefined && f.warnings.length > 0 ? ` warnings=${quote(f.warnings.join('; '))}` : '') +
    '\n'
  );
}

/**
 * Appends one line, `secrets` scrubbed from its detail; returns the error
 * instead of throwing, the caller decides what a failed log means.
 */
export function appendLogLine(path: string, f: LogFields, secrets: readonly string[]): Error | undefined {
  return appendLine(path, formatLogLine(scrubbed(f, secrets)));
}

/** The free text of a line with the secrets scrubbed out, for any place the line leaves the process. */
export function scrubbed(f: LogFields, secrets: readonly string[]): LogFields {
  return { ...f, detail: redact(f.detail, secrets), warnings: f.warnings?.map((w) => redact(w, secrets)) };
}

/** Appends one formatted line (ending in a newline) in one write, so concurrent writers never interleave within it. */
export function appendLine(path: string, line: string): Error | undefined {
  try {
    appendFileSync(path, line, { mode: 0o640 });
    return undefined;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/**
 * The line for an LB verdict (probe, serve, pass_persist, status --stamp).
 * A log that cannot be written must not change the answer: the error is
 * returned for the caller to report elsewhere, never thrown.
 */
export function logDecision(
  path: string,
  tool: string,
  d: Pick<Decision, 'verdict' | 'reason' | 'detail'> & { warnings?: readonly string[] },
  elapsedMs: number,
  secrets: readonly string[],
): Error | undefined {
  return appendLogLine(path, { tool, verdict: d.verdict, reason: d.reason, detail: d.detail, elapsedMs, warnings: d.warnings }, secrets);
}

/**
 * Why this user could not append to `path`, or undefined when it could:
 * the file must be writable, or, when missing, its directory. The probes
 * then fall back to the system log; `status` says so instead of failing
 * silently. (For root this says little: snmpd's and xinetd's users are
 * others, so the README asks to create the file for them.)
 */
export function logFileProblem(path: string): string | undefined {
  const target = existsSync(path) ? path : dirname(path);
  try {
    accessSync(target, constants.W_OK);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return `${target === path ? path : `directory ${target}`} is not writable (${code})`;
  }
}
