/**
 * promtool (Debian package `prometheus`): Prometheus's own checker of
 * exposition text, rule files, configurations and alert unit tests.
 */
import { spawnSync } from 'node:child_process';
import { findExecutable } from './run-dir';

export interface PromtoolResult {
  code: number | null;
  /** stdout and stderr together: promtool splits its findings between them. */
  output: string;
}

export function promtoolPath(): string {
  const p = findExecutable('promtool');
  if (!p) {
    throw new Error('promtool not found; install it with: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y prometheus');
  }
  return p;
}

/** Runs promtool with `args` (and `input` on stdin), killed after 60 s. */
export function promtool(args: readonly string[], opts: { input?: string; cwd?: string } = {}): PromtoolResult {
  const r = spawnSync(promtoolPath(), [...args], {
    input: opts.input ?? '',
    cwd: opts.cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
  });
  if (r.error) throw r.error;
  return { code: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}
