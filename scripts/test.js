#!/usr/bin/env node
'use strict';
/**
 * `npm test`: installs missing system prerequisites (Debian, as root), builds
 * (tsc, then the bundles and code caches of scripts/build.js), creates a run directory and a MariaDB template data directory,
 * runs the compiled tests with node:test one file at a time, and always
 * cleans up (kills leftover servers and other registered processes, removes
 * the run directory), also on SIGINT/SIGTERM. Exits with the runner's code;
 * a full run (no files named) also runs `npm run lint` and fails if it does.
 *
 *   npm test                                  all tests (test/**\/*.test.ts, compiled) and the lint
 *   npm run test:unit                         (--unit) test/unit/ only: tsc, no apt, no MariaDB, no bundles
 *   npm test -- dist/test/pair/harness.test.js  just these files (test/x.test.ts also accepted)
 *   npm test -- --test-name-pattern=freeze    node --test options pass through
 *
 * Environment handed to the tests:
 *   MFC_TEST_RUN_DIR            scratch directory of this run (removed afterwards);
 *                               processes listed in $MFC_TEST_RUN_DIR/pids
 *                               ("pid starttime label" lines) are killed at the end
 *   MFC_TEST_TEMPLATE_DATADIR   initialised MariaDB datadir to copy (never modify it)
 *   MFC_TEST_MARIADBD           absolute path of mariadbd
 * Knobs: MFC_TEST_TIMEOUT_MS (per test, default 180000; node 20 has no per-file limit), MFC_TEST_KEEP=1 (keep the run dir),
 * MFC_TEST_IGNORE_TSC_ERRORS=1 (run what tsc emitted despite type errors).
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/**
 * System prerequisites: a command to probe and the Debian package providing
 * it. Add rows as tests need more tools (e.g. { command: 'snmpd', package: 'snmpd' }).
 */
const PREREQUISITES = [
  { command: 'mariadbd', package: 'mariadb-server' },
  { command: 'mariadb-install-db', package: 'mariadb-server' },
  { command: 'my_print_defaults', package: 'mariadb-client' },
  { command: 'mariadb', package: 'mariadb-client' },
  // End-to-end tests with the real clients (test/e2e/).
  { command: 'snmpd', package: 'snmpd' },
  { command: 'snmpget', package: 'snmp' },
  { command: 'haproxy', package: 'haproxy' },
  // test/e2e/services.test.ts runs the shipped xinetd and systemd files.
  { command: 'xinetd', package: 'xinetd' },
  { command: 'systemd-analyze', package: 'systemd' },
  { command: 'systemd-socket-activate', package: 'systemd' },
  // icinga2 daemon -C validates nagios/icinga2/*.conf (test/e2e/nagios-configs.test.ts).
  { command: 'icinga2', package: 'icinga2-bin' },
  // promtool checks /metrics, prometheus/*.yml and runs the alert unit tests; a
  // real prometheus scrapes /metrics (test/e2e/promtool.test.ts, prometheus-scrape.test.ts).
  { command: 'promtool', package: 'prometheus' },
  { command: 'prometheus', package: 'prometheus' },
  // The side-by-side measurement (test/e2e/mysqld-exporter-compare.test.ts).
  { command: 'prometheus-mysqld-exporter', package: 'prometheus-mysqld-exporter' },
];
/** Installed together with any missing row, so the set stays consistent. */
const ALWAYS_WITH = { 'mariadb-server': ['mariadb-client'], 'mariadb-client': ['mariadb-server'] };

/** Must agree with INNODB_SIZING_ARGS in test/support/run-dir.ts. */
const TEMPLATE_ARGS = ['--innodb-log-file-size=4M', '--innodb-buffer-pool-size=32M', '--performance-schema=OFF'];

const SEARCH_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/local/bin', '/usr/bin', '/bin'];

function log(msg) {
  process.stderr.write(`[test] ${msg}\n`);
}

function findExecutable(name) {
  const dirs = [...(process.env.PATH || '').split(path.delimiter).filter(Boolean), ...SEARCH_DIRS];
  for (const dir of dirs) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

function missingPackages() {
  const pkgs = new Set();
  for (const { command, package: pkg } of PREREQUISITES) {
    if (!findExecutable(command)) {
      pkgs.add(pkg);
      for (const extra of ALWAYS_WITH[pkg] || []) pkgs.add(extra);
    }
  }
  return [...pkgs];
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status === null ? 1 : r.status;
}

function ensurePrerequisites() {
  const missing = missingPackages();
  if (missing.length === 0) return;
  const installCmd = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing.join(' ')}`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    fail(`missing system packages: ${missing.join(', ')}. Install them with:\n  sudo sh -c '${installCmd}'`);
  }
  if (!findExecutable('apt-get')) {
    fail(`missing system packages: ${missing.join(', ')} and apt-get is not available; install them by hand.`);
  }
  log(`installing ${missing.join(' ')} (${installCmd})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (run('apt-get', ['update'], { env }) !== 0) fail('apt-get update failed');
  if (run('apt-get', ['install', '-y', ...missing], { env }) !== 0) {
    fail(`apt-get install ${missing.join(' ')} failed`);
  }
  const still = PREREQUISITES.filter((p) => !findExecutable(p.command)).map((p) => p.command);
  if (still.length) fail(`still missing after installing: ${still.join(', ')}`);
}

/** `npm run lint` (Prettier, then ESLint); returns whether it passed. Its findings go to the terminal. */
function lint() {
  const npm = process.env.npm_execpath;
  const r = npm
    ? spawnSync(process.execPath, [npm, 'run', '--silent', 'lint'], { cwd: ROOT, stdio: 'inherit' })
    : spawnSync('npm', ['run', '--silent', 'lint'], { cwd: ROOT, stdio: 'inherit' });
  if (r.error) fail(`could not run the lint: ${r.error.message}`);
  if (r.signal) interrupted(r.signal);
  return r.status === 0;
}

function tsc() {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
  if (r.error) fail(`could not run tsc: ${r.error.message}`);
  if (r.signal) interrupted(r.signal);
  if (r.status !== 0) {
    process.stdout.write(r.stdout || '');
    process.stderr.write(r.stderr || '');
    if (process.env.MFC_TEST_IGNORE_TSC_ERRORS === '1') {
      log(`tsc failed (exit ${r.status}); continuing (MFC_TEST_IGNORE_TSC_ERRORS=1)`);
      return;
    }
    fail(`tsc failed (exit ${r.status})`);
  }
}

function build() {
  tsc();
  // The executables' tests must run what gets installed: the bundles and their
  // code caches (scripts/build.js), not the tsc output the shims fall back to.
  const b = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.js'), '--no-tsc'], { cwd: ROOT, encoding: 'utf8' });
  if (b.error) fail(`could not run scripts/build.js: ${b.error.message}`);
  if (b.signal) interrupted(b.signal);
  if (b.status !== 0) {
    process.stdout.write(b.stdout || '');
    process.stderr.write(b.stderr || '');
    fail(`scripts/build.js --no-tsc failed (exit ${b.status})`);
  }
}

/** dist/<dir>/**\/*.test.js whose source <dir>/**\/*.test.ts exists (ignores stale compiled files). */
function discoverTests(dir) {
  const out = [];
  const walk = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(p);
      } else if (e.isFile() && e.name.endsWith('.test.ts')) {
        const rel = path.relative(ROOT, p).replace(/\.ts$/, '.js');
        const compiled = path.join('dist', rel);
        if (fs.existsSync(path.join(ROOT, compiled))) out.push(compiled);
        else log(`warning: ${path.relative(ROOT, p)} has no compiled ${compiled}`);
      }
    }
  };
  walk(path.join(ROOT, dir));
  return out.sort();
}

/** Maps test/x.test.ts to dist/test/x.test.js; leaves other arguments alone. */
function mapArg(arg) {
  if (arg.startsWith('-')) return arg;
  const m = /^(?:\.\/)?(test\/.*)\.ts$/.exec(arg);
  return m ? path.join('dist', `${m[1]}.js`) : arg;
}

// ------------------------------------------------------------------ cleanup

let runDir;
let runner;
let cleanedUp = false;

function startTime(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** Registered processes (pids file) plus any process whose command line mentions the run dir. */
function leftoverPids(dir) {
  const pids = new Set();
  try {
    for (const line of fs.readFileSync(path.join(dir, 'pids'), 'utf8').split('\n')) {
      const [p, st] = line.split(' ');
      const pid = Number(p);
      if (!Number.isInteger(pid) || pid <= 1) continue;
      const now = startTime(pid);
      if (now !== undefined && (st === '?' || st === now)) pids.add(pid);
    }
  } catch {
    /* no pids file */
  }
  let procs = [];
  try {
    procs = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    /* not Linux */
  }
  for (const n of procs) {
    if (cmdline(Number(n)).includes(dir + path.sep)) pids.add(Number(n));
  }
  pids.delete(process.pid);
  if (runner && runner.pid) pids.delete(runner.pid);
  return [...pids].filter((pid) => !isGone(pid));
}

function isGone(pid) {
  const st = fs.existsSync(`/proc/${pid}/stat`) ? fs.readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  if (!st) return true;
  const state = st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X'; // zombies of other parents count as gone
}

function cleanup() {
  if (cleanedUp || !runDir) return;
  cleanedUp = true;
  const pids = leftoverPids(runDir);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (pids.length) {
    log(`killed ${pids.length} leftover process(es): ${pids.join(' ')}`);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !pids.every(isGone)) spawnSync('sleep', ['0.05']);
  }
  if (process.env.MFC_TEST_KEEP === '1') {
    log(`keeping ${runDir}`);
  } else {
    fs.rmSync(runDir, { recursive: true, force: true });
  }
}

/** A synchronous step was killed by a signal (Ctrl-C reaches the whole process group). */
function interrupted(sig) {
  fail(`interrupted (${sig})`, 128 + (os.constants.signals[sig] || 2));
}

function fail(msg, code = 1) {
  log(msg);
  cleanup();
  process.exit(code);
}

// ------------------------------------------------------------------ main

let signalled;

function onSignal(sig) {
  if (!runner) {
    // Still preparing (the handler only runs once a synchronous step returns).
    log(`${sig}: aborting`);
    fail('interrupted', 128 + (os.constants.signals[sig] || 2));
  }
  if (signalled) {
    // second signal: stop waiting for the runner
    killRunnerGroup('SIGKILL');
    return;
  }
  signalled = sig;
  log(`${sig}: stopping tests and cleaning up`);
  killRunnerGroup(sig);
  setTimeout(() => killRunnerGroup('SIGKILL'), 5_000).unref();
}

function killRunnerGroup(sig) {
  try {
    if (runner && runner.pid) process.kill(-runner.pid, sig);
  } catch {
    /* gone */
  }
}

function main() {
  const t0 = Date.now();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  // --unit: the pure tests only, which need neither system packages, nor MariaDB, nor the bundles.
  const unit = process.argv.includes('--unit');
  const args = process.argv
    .slice(2)
    .filter((a) => a !== '--unit')
    .map(mapArg);
  const hasFiles = args.some((a) => !a.startsWith('-'));
  // A full run is what CI runs: the lint belongs to it. A run of named files is a developer's loop.
  const lintPassed = hasFiles || unit ? true : lint();
  if (unit) {
    tsc();
    log(`compiled in ${Date.now() - t0} ms`);
    return startRunner(t0, args, hasFiles, lintPassed, { dir: path.join('test', 'unit'), env: {} });
  }
  ensurePrerequisites();
  build();
  log(`built in ${Date.now() - t0} ms`);

  runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mfc-test-'));
  const template = path.join(runDir, 'template');
  const t1 = Date.now();
  const installDb = findExecutable('mariadb-install-db');
  const r = spawnSync(
    installDb,
    [
      '--no-defaults',
      `--datadir=${template}`,
      ...(process.getuid() === 0 ? ['--user=root'] : []),
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      ...TEMPLATE_ARGS,
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (r.signal && !r.error) interrupted(r.signal); // (a timeout sets r.error)
  if (r.status !== 0) {
    fail(`mariadb-install-db failed (status ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${r.stdout}\n${r.stderr}`);
  }
  log(`template datadir ready in ${Date.now() - t1} ms: ${template}`);
  startRunner(t0, args, hasFiles, lintPassed, {
    dir: 'test',
    env: { MFC_TEST_RUN_DIR: runDir, MFC_TEST_TEMPLATE_DATADIR: template, MFC_TEST_MARIADBD: findExecutable('mariadbd') },
  });
}

/** Runs node:test on the named files, or on every test under `suite.dir`; exits with its status. */
function startRunner(t0, args, hasFiles, lintPassed, suite) {
  const files = hasFiles ? [] : discoverTests(suite.dir);
  if (!hasFiles && files.length === 0) fail(`no test files found (${suite.dir}/**/*.test.ts)`);

  const timeout = Number(process.env.MFC_TEST_TIMEOUT_MS) || 180_000;
  // Options before files: node 20 takes anything after the first file for a file.
  const options = args.filter((a) => a.startsWith('-'));
  const fileArgs = args.filter((a) => !a.startsWith('-'));
  const nodeArgs = ['--test', '--test-concurrency=1', `--test-timeout=${timeout}`, ...options, ...fileArgs, ...files];
  const env = { ...process.env, ...suite.env };
  // Own process group, so that on a signal we can stop the runner and the
  // test-file processes it spawned in one go.
  runner = spawn(process.execPath, nodeArgs, { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });

  runner.on('exit', (code, sig) => {
    // Anything the runner left in its group (test-file processes) goes too.
    killRunnerGroup('SIGKILL');
    cleanup();
    let exitCode = code === null ? 1 : code;
    if (signalled) exitCode = 128 + (os.constants.signals[signalled] || 2);
    else if (sig) exitCode = 128 + (os.constants.signals[sig] || 1);
    else if (exitCode === 0 && !lintPassed) {
      log('the tests passed, but npm run lint did not (see above)');
      exitCode = 1;
    }
    log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s, exit ${exitCode}`);
    process.exit(exitCode);
  });
}

process.on('uncaughtException', (e) => {
  log(`internal error: ${e && e.stack ? e.stack : e}`);
  killRunnerGroup('SIGKILL');
  cleanup();
  process.exit(1);
});
process.on('exit', cleanup);

main();
