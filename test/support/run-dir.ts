/**
 * Shared plumbing for integration tests: the per-run scratch directory, a
 * registry of background processes that must not outlive the run, free TCP
 * ports, and the MariaDB template data directory.
 *
 * `npm test` (scripts/test.js) creates the run directory and the template
 * before any test file starts and passes them in MFC_TEST_RUN_DIR and
 * MFC_TEST_TEMPLATE_DATADIR; it kills everything registered in the pids file
 * and removes the run directory afterwards, whatever happened.
 *
 * When a compiled test file is run directly (`node --test dist/test/x.test.js`)
 * those variables are absent: this module then creates a private run
 * directory (and template, on first use) and removes both, after killing the
 * registered processes, when the process exits.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { findProgram as findExecutable } from '../../src/demo/server-programs';
import { INNODB_SIZING_ARGS } from '../../src/demo/server-process';

export const ENV_RUN_DIR = 'MFC_TEST_RUN_DIR';
export const ENV_TEMPLATE_DATADIR = 'MFC_TEST_TEMPLATE_DATADIR';
/** Optional: absolute path of mariadbd (scripts/test.js sets it). */
export const ENV_MARIADBD = 'MFC_TEST_MARIADBD';
/** Name of the pids file inside the run directory (one `pid starttime label` per line). */
export const PIDS_FILE = 'pids';

/**
 * Server options that must agree between the template and the servers made
 * from it (a different redo log size would make every start resize the log):
 * the demo's, since the harness starts its servers with the demo's options.
 * scripts/test.js uses the same values.
 */
export { INNODB_SIZING_ARGS };

let privateRunDir: string | undefined;

/** The run directory: from MFC_TEST_RUN_DIR, or a private one removed at exit. */
export function runDir(): string {
  const fromEnv = process.env[ENV_RUN_DIR];
  if (fromEnv) return fromEnv;
  if (privateRunDir === undefined) {
    privateRunDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mfc-test-'));
    const dir = privateRunDir;
    process.once('exit', () => {
      killRegisteredSync(dir);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }
  return privateRunDir;
}

/** A fresh directory under the run directory. Short names: unix socket paths must stay < 108 bytes. */
export function makeTempDir(prefix = 'd-'): string {
  return fs.mkdtempSync(path.join(runDir(), prefix.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 16)));
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or undefined. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19]; // field 22 overall = index 19 after state (field 3)
  } catch {
    return undefined;
  }
}

/**
 * Records a background process so that scripts/test.js (or the exit handler of
 * a private run directory) kills it if the test does not. Recording the start
 * time protects against killing an unrelated process that reused the pid.
 */
export function registerPid(pid: number, label: string): void {
  const start = processStartTime(pid) ?? '?';
  fs.appendFileSync(path.join(runDir(), PIDS_FILE), `${pid} ${start} ${label.replace(/\s+/g, '_')}\n`);
}

/** SIGCONT + SIGKILL every registered process of `dir` that is still the one registered. */
export function killRegisteredSync(dir: string): void {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, PIDS_FILE), 'utf8');
  } catch {
    return;
  }
  for (const line of text.split('\n')) {
    const [pidText, start] = line.split(' ');
    const pid = Number(pidText);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    const now = processStartTime(pid);
    if (now === undefined || (start !== '?' && start !== now)) continue;
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

const handedOut = new Set<number>();

/** A TCP port on 127.0.0.1 that was free a moment ago and that this process has not handed out before. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.on('error', reject);
      srv.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr !== null ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (port > 0 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('freePort: could not find a free port');
}

/** Absolute path of an executable, looking in PATH and the sbin directories (not always in a user's PATH): the demo's own lookup. */
export { findExecutable };

export function mariadbdPath(): string {
  const p = process.env[ENV_MARIADBD] || findExecutable('mariadbd') || findExecutable('mysqld');
  if (!p) {
    throw new Error(
      'mariadbd not found; install it with: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y mariadb-server mariadb-client',
    );
  }
  return p;
}

/**
 * Initialises a MariaDB data directory (system tables only, root@localhost
 * with an empty password, no test database). Takes about a second.
 */
export function createTemplateDatadir(datadir: string): void {
  const installDb = findExecutable('mariadb-install-db') ?? findExecutable('mysql_install_db');
  if (!installDb) throw new Error('mariadb-install-db not found (package mariadb-server)');
  const r = spawnSync(
    installDb,
    [
      '--no-defaults',
      `--datadir=${datadir}`,
      ...(process.getuid?.() === 0 ? ['--user=root'] : []),
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      ...INNODB_SIZING_ARGS,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
  );
  if (r.status !== 0) {
    throw new Error(`mariadb-install-db failed (status ${r.status}, signal ${r.signal}):\n${r.stdout}\n${r.stderr}`);
  }
}

let privateTemplate: string | undefined;

/** The template data directory: from MFC_TEST_TEMPLATE_DATADIR, or created once per process. */
export function templateDatadir(): string {
  const fromEnv = process.env[ENV_TEMPLATE_DATADIR];
  if (fromEnv) return fromEnv;
  if (privateTemplate === undefined) {
    const dir = path.join(runDir(), 'template');
    if (!fs.existsSync(path.join(dir, 'mysql'))) {
      fs.rmSync(dir, { recursive: true, force: true });
      createTemplateDatadir(dir);
    }
    privateTemplate = dir;
  }
  return privateTemplate;
}
