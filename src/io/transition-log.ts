/**
 * The log line of a failover state transition (--log-file), in the style of
 * the per-run line: time, tool, pid, then key=value.
 */
import type { Transition } from '../core/failover-state';
import { appendLine, quote } from './log-file';
import { isoUtc } from '../core/utc-time';

export function formatTransitionLine(t: Transition, tool: string): string {
  return (
    `${isoUtc(t.at)} ${tool} pid=${process.pid} transition=${t.from}->${t.to} ` +
    `reason=${t.reason} actor=${t.actor} detail=${quote(t.detail)}\n`
  );
}

/** Appends the lines; a log that cannot be written must not change the answer, so the error is returned, not thrown. */
export function logTransitions(path: string, tool: string, transitions: readonly Transition[]): Error | undefined {
  if (transitions.length === 0) return undefined;
  return appendLine(path, transitions.map((t) => formatTransitionLine(t, tool)).join(''));
}
