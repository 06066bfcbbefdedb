/**
 * `demo --keep` and `demo --stop`: a pair left running after the demo
 * process has exited, found again later through a pointer file.
 *
 * The pointer file, `$XDG_CACHE_HOME/mysql-failover-check/demo.json`
 * (~/.cache/... when XDG_CACHE_HOME is unset), names the pair's directory;
 * the directory holds `kept.json` with the servers' pids, start times,
 * ports and data directories. One pointer per user: one kept pair at a time.
 *
 * Nothing is signalled or removed on the pointer's word alone: the directory
 * must look like one the demo created (name, owner, a real directory, its
 * own kept.json naming it), and a pid is signalled only while it is still
 * the same process (same start time, a mariadbd whose arguments name the
 * pair's data directory): after a reboot the pids belong to someone else.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckError } from '../core/errors';
import { DEMO_NODES, type DemoNode } from './demo-node';
import { processArgv, processStartTime, signalQuietly, waitGone } from './process-table';

/** The name mkdtemp gives the demo's directory: this prefix and six characters. */
export const DIR_PREFIX = 'mfc-demo-';
export const KEPT_STATE_FILE = 'kept.json';
const STATE_FORMAT = 'mysql-failover-check demo pair';

export interface KeptNode {
  pid: number;
  /** /proc/PID/stat field 22: tells a reused pid from ours. */
  startTime: string;
  port: number;
  socket: string;
  datadir: string;
  optionFile: string;
}

export interface KeptState {
  format: typeof STATE_FORMAT;
  dir: string;
  keptAt: string;
  /** Only the nodes that were running when the pair was kept. */
  nodes: Partial<Record<DemoNode, KeptNode>>;
}

export function defaultPointerFile(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  const cache = env['XDG_CACHE_HOME'];
  const base = cache !== undefined && path.isAbsolute(cache) ? cache : path.join(home, '.cache');
  return path.join(base, 'mysql-failover-check', 'demo.json');
}

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Writes the state into the pair's directory and the pointer to it. */
export function writeKept(state: KeptState, pointerFile: string): void {
  writeAtomically(path.join(state.dir, KEPT_STATE_FILE), JSON.stringify(state, null, 2) + '\n');
  fs.mkdirSync(path.dirname(pointerFile), { recursive: true, mode: 0o700 });
  writeAtomically(pointerFile, JSON.stringify({ dir: state.dir }) + '\n');
}

/** The pid, if it is still the server that was kept (same start, a mariadbd of that data directory). */
export function verifiedPid(node: KeptNode): number | undefined {
  if (processStartTime(node.pid) !== node.startTime) return undefined;
  const argv = processArgv(node.pid);
  return path.basename(argv[0] ?? '') === 'mariadbd' && argv.includes(`--datadir=${node.datadir}`) ? node.pid : undefined;
}

function notOurs(pointerFile: string, why: string): CheckError {
  return new CheckError(
    'USAGE',
    `${pointerFile} does not point at a kept demo pair (${why}); nothing was stopped or removed. Remove the file by hand if it is stale.`,
  );
}

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The directory the pointer names, checked to be the demo's own where it still exists. */
function keptDir(pointerFile: string): { dir: string; exists: boolean } {
  let pointer: unknown;
  try {
    pointer = readJson(pointerFile);
  } catch (e) {
    throw notOurs(pointerFile, `unreadable: ${(e as Error).message}`);
  }
  const dir = isObject(pointer) ? pointer['dir'] : undefined;
  if (typeof dir !== 'string' || !path.isAbsolute(dir) || path.normalize(dir) !== dir) throw notOurs(pointerFile, 'no absolute "dir"');
  if (!new RegExp(`^${DIR_PREFIX}[A-Za-z0-9]{6}$`).test(path.basename(dir))) {
    throw notOurs(pointerFile, `${dir} is not named like a demo directory`);
  }
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch {
    return { dir, exists: false };
  }
  if (!st.isDirectory()) throw notOurs(pointerFile, `${dir} is not a directory`);
  if (st.uid !== process.getuid?.()) throw notOurs(pointerFile, `${dir} belongs to another user`);
  return { dir, exists: true };
}

function keptState(pointerFile: string, dir: string): KeptState {
  let state: unknown;
  try {
    state = readJson(path.join(dir, KEPT_STATE_FILE));
  } catch (e) {
    throw notOurs(pointerFile, `${dir}/${KEPT_STATE_FILE} unreadable: ${(e as Error).message}`);
  }
  if (!isObject(state) || state['format'] !== STATE_FORMAT || state['dir'] !== dir || !isObject(state['nodes'])) {
    throw notOurs(pointerFile, `${dir}/${KEPT_STATE_FILE} is not a kept pair's state`);
  }
  const nodes: Partial<Record<DemoNode, KeptNode>> = {};
  for (const n of DEMO_NODES) {
    const k = state['nodes'][n];
    if (k === undefined) continue;
    if (
      !isObject(k) ||
      !Number.isInteger(k['pid']) ||
      (k['pid'] as number) <= 1 ||
      typeof k['startTime'] !== 'string' ||
      typeof k['datadir'] !== 'string' ||
      !(k['datadir'] as string).startsWith(dir + path.sep)
    ) {
      throw notOurs(pointerFile, `${dir}/${KEPT_STATE_FILE}: bad entry for node ${n}`);
    }
    nodes[n] = k as unknown as KeptNode;
  }
  return { ...(state as unknown as KeptState), nodes };
}

export interface KeptPairFound {
  state: KeptState;
  /** Pids of its servers that still run. */
  running: number[];
}

/** The kept pair the pointer names, if there is one with a server still running. */
export function findKept(pointerFile: string = defaultPointerFile()): KeptPairFound | undefined {
  if (!fs.existsSync(pointerFile)) return undefined;
  const { dir, exists } = keptDir(pointerFile);
  if (!exists) return undefined;
  const state = keptState(pointerFile, dir);
  const running = Object.values(state.nodes).flatMap((n) => {
    const pid = verifiedPid(n);
    return pid === undefined ? [] : [pid];
  });
  return running.length > 0 ? { state, running } : undefined;
}

export type StopKeptResult =
  | { status: 'nothing-kept'; pointerFile: string }
  /** The pointer named a pair whose servers were gone already (a reboot, a kill): cleaned up, nothing signalled. */
  | { status: 'stale'; pointerFile: string; dir: string }
  | { status: 'stopped'; pointerFile: string; dir: string; pids: number[] };

const STOP_GRACE_MS = 20_000;
const KILL_WAIT_MS = 10_000;

/** Stops the kept pair (SIGTERM, SIGKILL after a bound), removes its directory and the pointer. */
export async function stopKept(pointerFile: string = defaultPointerFile()): Promise<StopKeptResult> {
  if (!fs.existsSync(pointerFile)) return { status: 'nothing-kept', pointerFile };
  const { dir, exists } = keptDir(pointerFile);
  if (!exists) {
    fs.rmSync(pointerFile, { force: true });
    return { status: 'stale', pointerFile, dir };
  }
  const state = keptState(pointerFile, dir);
  const pids = Object.values(state.nodes).flatMap((n) => {
    const pid = verifiedPid(n);
    return pid === undefined ? [] : [pid];
  });
  for (const pid of pids) {
    signalQuietly(pid, 'SIGCONT');
    signalQuietly(pid, 'SIGTERM');
  }
  if (!(await waitGone(pids, STOP_GRACE_MS))) {
    for (const pid of pids) signalQuietly(pid, 'SIGKILL');
    if (!(await waitGone(pids, KILL_WAIT_MS))) {
      throw new CheckError('TIMEOUT', `kept demo servers ${pids.join(', ')} survived SIGKILL; ${dir} left in place`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  fs.rmSync(pointerFile, { force: true });
  return pids.length > 0 ? { status: 'stopped', pointerFile, dir, pids } : { status: 'stale', pointerFile, dir };
}
