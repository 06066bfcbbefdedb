/**
 * `serve` on one node of the real pair, as the tests of the watcher, hooks,
 * HAProxy pushes, metrics and reload start it: an option file written the
 * way an operator would (nodeOptionFile), a log file beside it, both
 * listeners on free loopback ports; and what those tests read back: the
 * log's lines, the lines a recording hook wrote, HTTP answers.
 */
import * as path from 'node:path';
import { ask, parseResponse } from './exchange';
import { lines, writeScript } from './hooks';
import { nodeOptionFile } from './lb-setup';
import type { NodeName, Pair } from './pair';
import { freePort } from './run-dir';
import { ServeProcess } from './serve-process';

export interface ServedNode {
  proc: ServeProcess;
  http: number;
  agent: number;
  /** The option file (rewrite it and send SIGHUP to reload). */
  file: string;
  log: string;
  /** The arguments it was started with, to start it again the same way. */
  args: string[];
}

/** Starts serve for `node` with `extra` in its option file (log-file is set) and `args` on its command line. */
export async function startServed(
  pair: Pair,
  node: NodeName,
  dir: string,
  name: string,
  extra: Record<string, string> = {},
  args: readonly string[] = [],
): Promise<ServedNode> {
  const log = path.join(dir, `${name}.log`);
  const file = nodeOptionFile(pair, node, dir, name, { 'log-file': log, ...extra });
  const http = await freePort();
  const agent = await freePort();
  const all = [`--defaults-file=${file}`, `--http=127.0.0.1:${http}`, `--agent=127.0.0.1:${agent}`, ...args];
  const proc = await ServeProcess.start(all, 2);
  return { proc, http, agent, file, log, args: all };
}

/** The same serve again (after a stop): same files, same ports. */
export async function restartServed(s: ServedNode): Promise<ServedNode> {
  return { ...s, proc: await ServeProcess.start(s.args, 2) };
}

export { lines };

export interface HttpAnswer {
  status: number;
  headers: Map<string, string>;
  body: string;
  /** From connect to the end of the answer. */
  ms: number;
}

export async function httpGet(port: number, target = '/', timeoutMs = 20_000): Promise<HttpAnswer> {
  const a = await ask(port, `GET ${target} HTTP/1.1\r\nHost: test\r\n\r\n`, { timeoutMs });
  return { ...parseResponse(a.text), ms: a.ms };
}

/**
 * A hook that appends one line per run to `<dir>/<name>.runs`:
 * `$#|$1|$2|$3|$4|$5|$MFC_ACTOR`, then sleeps `sleepSeconds` if asked.
 */
export function recordingHook(dir: string, name: string, sleepSeconds = 0): { path: string; runs: () => string[] } {
  const record = path.join(dir, `${name}.runs`);
  const body = [
    `printf '%s|%s|%s|%s|%s|%s|%s\\n' "$#" "$1" "$2" "$3" "$4" "$5" "$MFC_ACTOR" >> '${record}'`,
    ...(sleepSeconds > 0 ? [`sleep ${sleepSeconds}`] : []),
  ].join('\n');
  return { path: writeScript(dir, name, body), runs: () => lines(record) };
}

/** The events of the runs a recording hook saw, in order. */
export function runEvents(runs: readonly string[]): string[] {
  return runs.map((r) => r.split('|')[1] ?? '');
}

const HIDDEN = 'mysql_failover.hidden';

/** Makes the keyed heartbeat table vanish on `node` (DOWN heartbeat-missing there): a DOWN that needs no server restart. */
export async function hideHeartbeat(pair: Pair, node: NodeName = 'a'): Promise<void> {
  await pair.sql(node, `RENAME TABLE mysql_failover.heartbeat TO ${HIDDEN}`);
}

/** Brings it back (when hidden). */
export async function showHeartbeat(pair: Pair, node: NodeName = 'a'): Promise<void> {
  if ((await pair.sql(node, "SHOW TABLES FROM mysql_failover LIKE 'hidden'")).length > 0) {
    await pair.sql(node, `RENAME TABLE ${HIDDEN} TO mysql_failover.heartbeat`);
  }
}
