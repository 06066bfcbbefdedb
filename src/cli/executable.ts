/**
 * What every executable's process needs before it does anything: its
 * version, when it started, and, for those whose stderr reaches a client, a
 * silent stderr.
 */
import { EventEmitter } from 'node:events';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const VERSION: string = (require('../../../package.json') as { version: string }).version;

/** When this process started (epoch ms): deadlines include Node's own start-up. */
export function processStart(): number {
  // Not performance.timeOrigin: perf_hooks loads ten internal modules, a
  // measurable part of a single-shot run; uptime counts from the same start.
  return Math.round(Date.now() - process.uptime() * 1000);
}

/**
 * For executables whose stderr reaches a client that must not see it (snmpd
 * forwards it; the LB would read garbage): drop everything written to stderr,
 * including Node's own warnings.
 */
export function silenceStderr(): void {
  process.removeAllListeners('warning');
  process.on('warning', () => undefined);
  // process.stderr is created on first use; for a pipe or a socket (snmpd,
  // journald) that loads net and the stream machinery, a few ms of every
  // run, for a stream that must never be written. So a sink takes its place
  // before anything creates it: console.error, a dependency's warning, all
  // end there. It is an EventEmitter because console adds and removes an
  // 'error' listener around each write.
  const sink = Object.assign(new EventEmitter(), { fd: 2, isTTY: false, write: () => true, end: () => undefined });
  Object.defineProperty(process, 'stderr', { value: sink, configurable: true, enumerable: true, writable: false });
}
