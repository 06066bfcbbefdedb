/**
 * What the hook tests share: a sample event, executable scripts written
 * for a test, and whether a process a hook started is gone.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HookEvent } from '../../src/io/hook-runner';
import { registerPid } from './run-dir';

/** A `down` of db1 with its peer db2, at a fixed time (2024-01-02T03:04:05.678Z). */
export const SAMPLE_EVENT: HookEvent = {
  event: 'down',
  node: 'db1',
  peer: 'db2',
  from: 'up',
  to: 'down',
  reason: 'replication-stopped',
  lag: null,
  time: Date.UTC(2024, 0, 2, 3, 4, 5, 678),
  actor: 'probe',
};

/** Writes `dir/name`, mode 0755: `#!interpreter` and the body. Returns its path. */
export function writeScript(dir: string, name: string, body: string, interpreter = '/bin/sh'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!${interpreter}\n${body}\n`, { mode: 0o755 });
  return file;
}

/** The process has exited (a zombie of another parent counts as gone). */
export function processGone(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/**
 * The pid in `text` (what a hook wrote or a caller printed), registered so
 * that a failed test leaves nothing running; fails the test when there is none.
 */
export function registeredPid(text: string, label: string): number {
  const pid = Number(text.trim());
  assert.ok(Number.isInteger(pid) && pid > 1, `${label}: no pid in ${JSON.stringify(text)}`);
  registerPid(pid, label);
  return pid;
}

/** The non-empty lines of a file a process appends to (a log, a hook's record); [] before it exists. */
export function lines(file: string): string[] {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  } catch {
    return [];
  }
}
