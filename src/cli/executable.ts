/**
 * What every executable's process needs before it does anything: its
 * version, when it started, and, for those whose stderr reaches a client, a
 * silent stderr.
 */
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
  process.stderr.write = (() => true) as typeof process.stderr.write;
}
