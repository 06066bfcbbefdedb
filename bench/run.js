#!/usr/bin/env node
'use strict';
/**
 * `npm run bench`: wall time and peak memory of mysql-failover-snmp against
 * its peers, on a real MariaDB master-master pair (the test harness's
 * dist/test/support/pair.js). A script, not a test: it asserts nothing about
 * speed; it prints a table and writes it, with the machine, to
 * bench/results.md.
 *
 * Measured, each in a clean environment (`env -i PATH=/usr/bin:/bin`, as
 * snmpd's children run: NODE_EXTRA_CA_CERTS alone adds ~60 ms to a Node
 * start):
 *   - mysql-failover-snmp, healthy path (fresh heartbeat), TCP and unix socket
 *   - mysql-failover-snmp, stale-then-caught-up path (the stamp is set an hour
 *     back before every run by hyperfine's --prepare), TCP
 *   - mysql-failover-snmp, healthy, with a --log-file (which makes it ask the
 *     peer, see ProbeOptions.skipPeerWhenFresh) and with a failover state
 *     (--state-file, --down-after, --up-after: a lock file, the state read,
 *     the peer asked, the file written only when the state changes)
 *   - mysql-failover-snmp answers that need no database: --help, --version,
 *     a bad option (DOWN, and a line to the system log through `logger`) and
 *     the maintenance file (DOWN)
 *   - monitoring-plugins check_mysql -S (C), TCP
 *   - bench/mysqldb_check.py (Python 3 + MySQLdb, same work as ours), TCP
 *   - node -e 0, the floor for any Node program
 * Interleaved: BENCH_ROUNDS (5) hyperfine invocations over all commands, the
 * order rotated each round, BENCH_RUNS (30) runs per command in all;
 * peak RSS is the median of BENCH_RSS_RUNS (10) runs of /usr/bin/time -f %M.
 * Then the resident modes (residentBench below), HAProxy's own static answer
 * as the machine's ceiling, and the targets, each met or missed with figures.
 *
 * As root, installs what is missing from Debian (hyperfine, python3-mysqldb,
 * monitoring-plugins-standard, time, wrk, haproxy); always builds.
 *
 * All commands (ours included) log in as a bench-only user with a simple
 * password, because check_mysql takes its password on the command line.
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const net = require('node:net');
const path = require('node:path');
const probes = require('./probe-load');

const ROOT = path.resolve(__dirname, '..');
const RUNS = positiveInt('BENCH_RUNS', 30);
const RSS_RUNS = positiveInt('BENCH_RSS_RUNS', 10);
const ROUNDS = positiveInt('BENCH_ROUNDS', 5);
/** Iterating on the resident mode: skip the single-shot commands and do not write results.md. */
const RESIDENT_ONLY = process.env.BENCH_RESIDENT_ONLY === '1';
/** Iterating on the single-shot commands: skip the resident mode and do not write results.md. */
const SINGLE_ONLY = process.env.BENCH_SINGLE_ONLY === '1';
const WARMUP = 2;
const NODE = '/usr/bin/node';
const PYTHON = '/usr/bin/python3';
const CHECK_MYSQL = '/usr/lib/nagios/plugins/check_mysql';
const CLEAN_ENV = ['env', '-i', 'PATH=/usr/bin:/bin'];
const TABLE = 'status_example.lastcheck';
const BENCH_USER = 'mfc_bench';
const BENCH_PASSWORD = 'benchpw1';
const STALE_AGE = 3600;

const PACKAGES = [
  { pkg: 'hyperfine', file: '/usr/bin/hyperfine' },
  { pkg: 'python3-mysqldb', file: '/usr/lib/python3/dist-packages/MySQLdb/__init__.py' },
  { pkg: 'monitoring-plugins-standard', file: CHECK_MYSQL },
  { pkg: 'time', file: '/usr/bin/time' },
  { pkg: 'wrk', file: '/usr/bin/wrk' },
  { pkg: 'haproxy', file: '/usr/sbin/haproxy' },
];

function positiveInt(name, dflt) {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

function log(msg) {
  process.stderr.write(`bench: ${msg}\n`);
}

/** Set on SIGINT/SIGTERM: the signal handler then owns the clean-up and the exit. */
let interrupted = false;

/** Runs a command to completion (async, so SIGINT can kill it); rejects on a non-zero exit. */
let current;
function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'],
      cwd: opts.cwd ?? ROOT,
      env: opts.env ?? process.env,
    });
    current = child;
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      current = undefined;
      if (code === 0 || opts.allowFailure) resolve({ code, signal, stdout, stderr });
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? signal}: ${stderr.trim() || stdout.trim()}`));
    });
  });
}

function output(cmd, args) {
  // Nagios plugins exit 3 (UNKNOWN) on -V: take any output.
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return (r.stdout || r.stderr || '').trim().split('\n')[0] || `(${cmd} failed)`;
}

async function ensurePackages() {
  const missing = PACKAGES.filter((p) => !fs.existsSync(p.file));
  if (missing.length === 0) return;
  const names = missing.map((p) => p.pkg);
  if (process.getuid?.() !== 0) {
    throw new Error(`missing Debian packages (not root, so not installing them): ${names.join(' ')}`);
  }
  log(`installing ${names.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const first = await run('apt-get', ['install', '-y', '--no-install-recommends', ...names], { env, allowFailure: true });
  if (first.code !== 0) {
    await run('apt-get', ['update'], { env });
    await run('apt-get', ['install', '-y', '--no-install-recommends', ...names], { env });
  }
}

/**
 * Always builds (scripts/build.js: tsc, bundles, code caches, ~10 s): a
 * leftover tsc-only dist/ would make the shims fall back to the unbundled
 * output and the bench measure that instead of what is installed.
 */
async function ensureBuilt() {
  log('building (scripts/build.js)');
  await run(process.execPath, [path.join(ROOT, 'scripts/build.js')], { stdio: ['ignore', 'inherit', 'inherit'] });
  const { bundlePaths, compileBundle } = require(path.join(ROOT, 'dist/launcher/bundle-loader.js'));
  for (const name of ['mysql-failover-snmp', 'mysql-failover-check']) {
    if (compileBundle(bundlePaths(name))?.cacheUsed !== true) {
      throw new Error(`${name}: the bundle or its code cache would not be used; the bench would measure the fallback`);
    }
  }
}

async function createBenchUser(pair) {
  for (const node of ['a', 'b']) {
    await pair.withConnection(node, async (conn) => {
      await conn.query('SET SESSION sql_log_bin = 0');
      for (const host of ['127.0.0.1', 'localhost']) {
        await conn.query('CREATE USER ?@? IDENTIFIED BY ?', [BENCH_USER, host, BENCH_PASSWORD]);
        await conn.query('GRANT SLAVE MONITOR, BINLOG MONITOR ON *.* TO ?@?', [BENCH_USER, host]);
        await conn.query('GRANT SELECT, INSERT, UPDATE ON `status_example`.* TO ?@?', [BENCH_USER, host]);
      }
    });
  }
}

function writeOptionFile(file, local, peer) {
  const lines = [
    '[client]',
    `user=${BENCH_USER}`,
    `password=${BENCH_PASSWORD}`,
    '[mysql-failover-check]',
    ...(local.socket ? ['host=localhost', `socket=${local.socket}`] : ['host=127.0.0.1', `port=${local.port}`]),
    `peer=127.0.0.1:${peer.port}`,
    `table=${TABLE}`,
    'timeout=3',
  ];
  fs.writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
}

/**
 * One benchmarked command: argv (run without a shell), optional prepare
 * argv, expected stdout; `ours`, `stale`, `peer` (a peer for the ratios),
 * `noDatabase` (an answer that needs no server: target 2).
 */
function commands(pair, files) {
  const bin = [...CLEAN_ENV, NODE, path.join(ROOT, 'bin/mysql-failover-snmp')];
  const snmp = (file, ...more) => [...bin, `--defaults-file=${file}`, ...more];
  const stale = [
    'mariadb',
    '--no-defaults',
    '-uroot',
    '-S',
    pair.a.socket,
    '-e',
    `UPDATE ${TABLE} SET lastcheck = UNIX_TIMESTAMP() - ${STALE_AGE}`,
  ];
  const usage = /^Usage: mysql-failover-snmp /;
  return [
    { name: HEALTHY, argv: snmp(files.tcp), expect: '100\n', ours: true },
    { name: 'mysql-failover-snmp healthy socket', argv: snmp(files.socket), expect: '100\n', ours: true },
    { name: 'mysql-failover-snmp stale->caught-up TCP', argv: snmp(files.tcp), prepare: stale, expect: '100\n', ours: true, stale: true },
    { name: WITH_LOG, argv: snmp(files.tcp, `--log-file=${files.log}`), expect: '100\n', ours: true },
    { name: STATEFUL, argv: snmp(files.tcp, ...STATE_OPTIONS(files.state)), expect: '100\n', ours: true },
    { name: 'mysql-failover-snmp --help', argv: [...bin, '--help'], expect: usage, ours: true, noDatabase: true },
    {
      name: 'mysql-failover-snmp --version',
      argv: [...bin, '--version'],
      expect: /^mysql-failover-snmp \S+\n$/,
      ours: true,
      noDatabase: true,
    },
    {
      name: 'mysql-failover-snmp bad option',
      // A bad option is logged to the system log (src/io/system-log.ts); here
      // `logger` is pointed at a socket nobody listens on, so the bench does
      // not fill the machine's log: the cost measured (the spawn) is the same.
      argv: [...CLEAN_ENV, `MFC_SYSLOG_SOCKET=${files.syslog}`, NODE, path.join(ROOT, 'bin/mysql-failover-snmp'), '--no-such-option'],
      expect: '200\n',
      ours: true,
      noDatabase: true,
    },
    {
      name: 'mysql-failover-snmp maintenance file',
      argv: snmp(files.tcp, `--maintenance-file=${files.maintenance}`),
      expect: '200\n',
      ours: true,
      noDatabase: true,
    },
    {
      name: 'check_mysql -S (C) TCP',
      argv: [...CLEAN_ENV, CHECK_MYSQL, '-S', '-H', '127.0.0.1', '-P', String(pair.a.port), '-u', BENCH_USER, '-p', BENCH_PASSWORD],
      expect: /Slave IO: Yes Slave SQL: Yes/,
      peer: 'check_mysql',
    },
    {
      name: 'Python 3 + MySQLdb TCP',
      argv: [...CLEAN_ENV, PYTHON, path.join(ROOT, 'bench/mysqldb_check.py'), `--defaults-file=${files.tcp}`],
      expect: '100\n',
      peer: 'python',
    },
    { name: FLOOR, argv: [...CLEAN_ENV, NODE, '-e', '0'], expect: '', peer: 'floor' },
  ];
}

const HEALTHY = 'mysql-failover-snmp healthy TCP';
const WITH_LOG = 'mysql-failover-snmp healthy TCP, --log-file (asks the peer)';
const STATEFUL = 'mysql-failover-snmp healthy TCP, failover state';
const FLOOR = 'node -e 0 (floor)';
/** The failover state's options for the stateful row (docs/failover-state.md). */
const STATE_OPTIONS = (file) => [`--state-file=${file}`, '--down-after=4', '--up-after=4'];

/** hyperfine -N splits a command line like a POSIX shell: quote each word. */
function shellQuote(argv) {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * hyperfine runs its commands one after the other, so a change of machine load
 * halfway would land on some commands only. The runs are split into ROUNDS
 * hyperfine invocations, each over every command, the order rotated each
 * round; a command's times are the union of its rounds. Returns name -> ms[].
 */
async function interleavedHyperfine(cmds, work) {
  const perRound = Math.max(1, Math.ceil(RUNS / ROUNDS));
  const times = new Map(cmds.map((c) => [c.name, []]));
  log(`hyperfine: ${ROUNDS} rounds of ${perRound} runs per command (rotated order), ${WARMUP} warm-ups each`);
  for (let round = 0; round < ROUNDS; round++) {
    const order = cmds.map((_, i) => cmds[(i + round) % cmds.length]);
    const json = path.join(work, `hyperfine-${round}.json`);
    const args = [
      '-N',
      '--warmup',
      String(WARMUP),
      '--runs',
      String(perRound),
      '--export-json',
      json,
      '--time-unit',
      'millisecond',
      '--style',
      'none',
    ];
    for (const c of order) args.push('--prepare', c.prepare ? shellQuote(c.prepare) : 'true');
    for (const c of order) args.push('--command-name', c.name);
    for (const c of order) args.push(shellQuote(c.argv));
    await run('hyperfine', args, { stdio: ['ignore', 'ignore', 'inherit'] });
    for (const r of JSON.parse(fs.readFileSync(json, 'utf8')).results) {
      times.get(r.command).push(...r.times.map((t) => t * 1000));
    }
  }
  return times;
}

async function stampAge(pair) {
  const rows = await pair.sql('a', `SELECT UNIX_TIMESTAMP() - lastcheck AS age FROM ${TABLE}`);
  return Number(rows[0]?.age);
}

/** Each command once, checking its answer (and that the stale path starts stale and ends stamped). */
async function sanityCheck(pair, cmds) {
  for (const c of cmds) {
    if (c.prepare) await run(c.prepare[0], c.prepare.slice(1));
    if (c.stale) {
      const age = await stampAge(pair);
      if (!(age >= STALE_AGE - 5)) throw new Error(`stale prepare did not age the stamp (age ${age})`);
    }
    const r = await run(c.argv[0], c.argv.slice(1), { allowFailure: true });
    const ok = typeof c.expect === 'string' ? r.stdout === c.expect : c.expect.test(r.stdout);
    if (r.code !== 0 || !ok) {
      throw new Error(`${c.name}: exit ${r.code}, stdout ${JSON.stringify(r.stdout)}, stderr ${JSON.stringify(r.stderr)}`);
    }
    if (c.stale) {
      const age = await stampAge(pair);
      if (!(age <= 2)) throw new Error(`stale path did not stamp (age ${age} after the run)`);
    }
  }
}

async function peakRss(c) {
  const out = path.join(os.tmpdir(), `mfc-bench-rss-${process.pid}`);
  const values = [];
  try {
    for (let i = 0; i < RSS_RUNS; i++) {
      if (c.prepare) await run(c.prepare[0], c.prepare.slice(1));
      await run('/usr/bin/time', ['-o', out, '-f', '%M', ...c.argv]);
      values.push(Number(fs.readFileSync(out, 'utf8').trim().split('\n').pop()));
    }
  } finally {
    fs.rmSync(out, { force: true });
  }
  return median(values) / 1024;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function machine(serverVersion) {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown';
  const mem = /^MemTotal:\s*(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))?.[1];
  return [
    ['date (UTC)', new Date().toISOString().replace(/\.\d+Z$/, 'Z')],
    ['CPUs (nproc)', output('nproc', [])],
    ['CPU model', model],
    ['memory', mem ? `${(Number(mem) / 1024 / 1024).toFixed(1)} GiB` : 'unknown'],
    [
      'load average (1/5/15 min, at the end)',
      os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' '),
    ],
    ['kernel', `${os.type()} ${os.release()} ${os.arch()}`],
    ['OS', /^PRETTY_NAME="?([^"\n]*)/m.exec(safeRead('/etc/os-release'))?.[1] ?? 'unknown'],
    ['Node', output(NODE, ['--version'])],
    ['MariaDB server', serverVersion],
    ['Python', output(PYTHON, ['--version'])],
    ['MySQLdb', output(PYTHON, ['-c', 'import MySQLdb; print(MySQLdb.__version__)'])],
    ['check_mysql', output(CHECK_MYSQL, ['-V'])],
    ['hyperfine', output('hyperfine', ['--version'])],
    ['wrk', output('wrk', ['-v'])],
    ['HAProxy', haproxyVersion()],
  ];
}

function haproxyVersion() {
  return /HAProxy version (\S+)/.exec(output('/usr/sbin/haproxy', ['-v']))?.[1] ?? 'unknown';
}

/**
 * The targets of the speed work, each met or missed with its figure (a
 * script, not a test: nothing fails). `rows` are the single-shot rows,
 * `resident` the resident ones (empty with BENCH_SINGLE_ONLY).
 */
function targets(rows, resident) {
  const row = (name) => rows.find((r) => r.name === name);
  const verdict = (ok) => (ok ? 'met' : 'missed');
  const ms = (v) => `${v.toFixed(1)} ms`;
  const signed = (v) => `${v >= 0 ? '+' : ''}${ms(v)}`;
  const healthy = row(HEALTHY);
  const lines = [
    `- **Healthy TCP single shot at most 1.25x the Python script: ${verdict(healthy.xPython <= 1.25)}** ` +
      `(${healthy.xPython.toFixed(2)}x: ${ms(healthy.median)} against ${ms(healthy.median / healthy.xPython)}; stretch 1.0x ${verdict(healthy.xPython <= 1)}).`,
  ];
  for (const r of rows.filter((x) => x.c.noDatabase)) {
    lines.push(
      `- **${r.name.replace('mysql-failover-snmp ', '')} at most the floor + 5 ms: ${verdict(r.overFloor <= 5)}** (floor ${signed(r.overFloor)}).`,
    );
  }
  const ours = rows.filter((r) => r.c.ours);
  const fattest = ours.reduce((a, b) => (b.rss > a.rss ? b : a));
  lines.push(
    `- **Peak RSS at most 40 MiB: ${verdict(fattest.rss <= 40)}** (healthy TCP ${healthy.rss.toFixed(1)} MiB; most: ${fattest.name}, ` +
      `${fattest.rss.toFixed(1)} MiB; \`node -e 0\` ${row(FLOOR).rss.toFixed(1)} MiB).`,
  );
  const stateful = row(STATEFUL);
  const withLog = row(WITH_LOG);
  lines.push(
    `- **The failover state adds at most 3 ms: ${verdict(stateful.median - healthy.median <= 3)}** ` +
      `(${signed(stateful.median - healthy.median)} over healthy TCP. That includes the peer's login, which the state ` +
      `needs and the plain healthy probe skips; the --log-file row, which asks the peer too, is ` +
      `${signed(withLog.median - healthy.median)}).`,
  );
  const storms = resident.filter((r) => r.connections !== undefined && r.target !== 'HAProxy static 200 (ceiling)');
  const ceiling = (r) => resident.find((x) => x.target === 'HAProxy static 200 (ceiling)' && x.connections === r.connections);
  if (storms.length > 0) {
    const ratios = storms.map((r) => `${r.target} at ${r.connections}: ${(r.rps / ceiling(r).rps).toFixed(2)}x`);
    lines.push(
      `- **serve's throughput at least 0.5x HAProxy's: ${verdict(storms.every((r) => r.rps / ceiling(r).rps >= 0.5))}** (${ratios.join('; ')}).`,
    );
    const at100 = storms.filter((r) => r.connections === STORMS[0]);
    lines.push(
      `- **p99 at ${STORMS[0]} connections at most 20 ms: ${verdict(at100.every((r) => r.p99 <= 20))}** ` +
        `(${at100.map((r) => `${r.target} ${ms(r.p99)}`).join('; ')}; HAProxy ${ms(ceiling(at100[0]).p99)}).`,
    );
    const inFlight = Math.max(...resident.filter((r) => r.maxInFlight !== undefined).map((r) => r.maxInFlight));
    lines.push(`- **At most 2 checks in flight: ${verdict(inFlight <= 2)}** (at most ${inFlight} statement(s) of ours running at once).`);
  }
  return lines;
}

function safeRead(f) {
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return '';
  }
}

function table(rows) {
  const header = ['command', 'median ms', 'min ms', 'max ms', 'over floor ms', 'peak RSS MiB', 'x Python', 'x check_mysql'];
  const body = rows.map((r) => [
    r.name,
    r.median.toFixed(1),
    r.min.toFixed(1),
    r.max.toFixed(1),
    r.c.peer === 'floor' ? '-' : `${r.overFloor >= 0 ? '+' : ''}${r.overFloor.toFixed(1)}`,
    r.rss.toFixed(1),
    r.xPython.toFixed(2),
    r.xCheckMysql.toFixed(2),
  ]);
  return renderTable(header, body);
}

/** A table as Markdown (for results.md) and as aligned text (for the terminal). */
function renderTable(header, body) {
  const md = [header, header.map((h, i) => (i === 0 ? '---' : '---:')), ...body].map((r) => `| ${r.join(' | ')} |`).join('\n');
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((r) => r[i].length)));
  const text = [header, ...body]
    .map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '))
    .join('\n');
  return { md, text };
}

const SEQUENTIAL_PROBES = positiveInt('BENCH_PROBES', 300);
const BURST = positiveInt('BENCH_BURST', 1000);
const PERSIST_OID = '1.3.6.1.4.1.8072.9999.9999.3306.1.0';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A resident process of ours, started in the clean environment, stopped with SIGTERM. */
function startResident(argv) {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'ignore'], env: { PATH: '/usr/bin:/bin' } });
  residents.add(child);
  child.on('exit', () => residents.delete(child));
  return child;
}
const residents = new Set();
/** HAProxy ceilings running (test/support/haproxy.ts), killed on SIGINT/SIGTERM like the residents. */
const ceilings = new Set();

function stopResident(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function waitAnswer(probe, want) {
  const until = Date.now() + 15_000;
  for (;;) {
    const r = await probe();
    if (r.answer === want) return;
    if (Date.now() > until) throw new Error(`resident mode never answered ${want} (last: ${r.answer})`);
    await new Promise((r2) => setTimeout(r2, 100));
  }
}

async function comSelect(pair) {
  const rows = await pair.sql('a', "SHOW GLOBAL STATUS LIKE 'Com_select'");
  return Number(rows[0].Value);
}

/**
 * Runs `work` while polling node a's processlist (SHOW PROCESSLIST, which is
 * not a SELECT, so Com_select counts only the checks): the most statements of
 * the bench user running at once, and the checks run (Com_select delta: a
 * check reads its heartbeat with one SELECT on node a).
 */
async function onServer(pair, work) {
  const before = await comSelect(pair);
  let maxInFlight = 0;
  let polling = true;
  const poller = pair.withConnection('a', async (conn) => {
    while (polling) {
      const [rows] = await conn.query('SHOW FULL PROCESSLIST');
      const active = rows.filter((r) => r.User === BENCH_USER && r.Command === 'Query').length;
      maxInFlight = Math.max(maxInFlight, active);
    }
  });
  let result;
  try {
    result = await work();
  } finally {
    polling = false;
    await poller;
  }
  return { result, checks: (await comSelect(pair)) - before, maxInFlight };
}

/** `mysql-failover-check serve` with the default 1 s cache or with --cache 0, HTTP and agent listeners. */
async function startServe(files, cache) {
  const [httpPort, agentPort] = [await freePort(), await freePort()];
  const child = startResident([
    NODE,
    path.join(ROOT, 'bin/mysql-failover-check'),
    'serve',
    `--defaults-file=${files.tcp}`,
    `--http=127.0.0.1:${httpPort}`,
    `--agent=127.0.0.1:${agentPort}`,
    `--cache=${cache}`,
  ]);
  const target = {
    label: cache === '0' ? 'serve --cache 0' : 'serve (cache 1 s)',
    httpPort,
    agentPort,
    serve: true,
    stop: () => stopResident(child),
  };
  await waitAnswer(() => probes.httpProbe('127.0.0.1', httpPort), '200');
  return target;
}

/**
 * The machine's own ceiling for an HTTP answer on loopback: HAProxy (C,
 * event-driven, one thread per core) answering a static 200 itself, no
 * check behind it, under the same storms as serve.
 */
async function startCeiling() {
  const { HAProxy } = require(path.join(ROOT, 'dist/test/support/haproxy.js'));
  const port = await freePort();
  const haproxy = await HAProxy.start(
    (statsSocket) => `
global
    stats socket ${statsSocket} mode 600 level admin
    maxconn ${4 * BURST}

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend ceiling
    bind 127.0.0.1:${port}
    http-request return status 200 content-type text/plain string "UP fresh"
`,
  );
  ceilings.add(haproxy);
  const target = {
    label: 'HAProxy static 200 (ceiling)',
    httpPort: port,
    serve: false,
    stop: async () => {
      await haproxy.stop();
      ceilings.delete(haproxy);
    },
  };
  await waitAnswer(() => probes.httpProbe('127.0.0.1', port), '200');
  return target;
}

const STORM_ROUNDS = positiveInt('BENCH_STORM_ROUNDS', 3);

/**
 * The resident mode: `mysql-failover-check serve` (HTTP and agent, with the
 * default 1 s cache and with --cache 0) and `mysql-failover-snmp --persist`,
 * probed the way balancers do (a fresh connection per HTTP/agent probe); a
 * /metrics scrape next to the HTTP probe, when serve has /metrics; and wrk
 * storms against serve and against HAProxy's static answer, interleaved:
 * STORM_ROUNDS rounds per storm size, the order of the targets rotated each
 * round, so that a change of machine load hits every target.
 */
async function residentBench(pair, files) {
  const rows = [];
  const targets = [];
  try {
    for (const cache of ['1', '0']) targets.push(await startServe(files, cache));
    targets.push(await startCeiling());
    for (const t of targets.filter((x) => x.serve)) {
      const http = () => probes.httpProbe('127.0.0.1', t.httpPort);
      const agent = () => probes.agentProbe('127.0.0.1', t.agentPort);
      log(`${t.label}: ${SEQUENTIAL_PROBES} sequential HTTP and agent probes`);
      const seqHttp = await onServer(pair, () => probes.sequential(http, SEQUENTIAL_PROBES));
      rows.push({
        name: `${t.label}: HTTP probe, one at a time`,
        ...probes.summarise(seqHttp.result),
        checks: seqHttp.checks,
        maxInFlight: seqHttp.maxInFlight,
      });
      if (t.label === 'serve (cache 1 s)') rows.push(await metricsRow(pair, t));
      const seqAgent = await onServer(pair, () => probes.sequential(agent, SEQUENTIAL_PROBES));
      rows.push({
        name: `${t.label}: agent probe, one at a time`,
        ...probes.summarise(seqAgent.result),
        checks: seqAgent.checks,
        maxInFlight: seqAgent.maxInFlight,
      });
    }
    for (const connections of STORMS) {
      log(`wrk storms of ${connections} connections: ${STORM_ROUNDS} rounds x ${targets.length} targets x ${WRK_SECONDS} s, rotated`);
      const runs = new Map(targets.map((t) => [t, []]));
      for (let round = 0; round < STORM_ROUNDS; round++) {
        for (let i = 0; i < targets.length; i++) {
          const t = targets[(i + round) % targets.length];
          runs
            .get(t)
            .push(t.serve ? await onServer(pair, () => wrk(t.httpPort, connections)) : { result: await wrk(t.httpPort, connections) });
        }
      }
      for (const t of targets)
        rows.push(stormRow(`${t.label}: wrk, ${connections} connections, ${STORM_ROUNDS} x ${WRK_SECONDS} s`, runs.get(t), t, connections));
    }
  } finally {
    for (const t of targets) await t.stop();
  }
  // The tests' snmpd stand-in (one request written, one whole answer read).
  const { PersistClient } = require(path.join(ROOT, 'dist/test/support/pass-persist-client.js'));
  const client = new PersistClient([`--defaults-file=${files.tcp}`]);
  try {
    const get = async () => {
      const started = process.hrtime.bigint();
      const lines = await client.ask(`get\n${PERSIST_OID}\n`);
      return { ms: Number(process.hrtime.bigint() - started) / 1e6, answer: lines.length === 3 ? lines[2] : lines.join(' ') };
    };
    await waitAnswer(get, '100');
    log(`mysql-failover-snmp --persist: ${SEQUENTIAL_PROBES} sequential gets`);
    const seq = await onServer(pair, () => probes.sequential(get, SEQUENTIAL_PROBES));
    rows.push({
      name: 'snmp --persist (cache 1 s): get, one at a time',
      ...probes.summarise(seq.result),
      checks: seq.checks,
      maxInFlight: seq.maxInFlight,
    });
  } finally {
    await client.close();
  }
  return rows;
}

/**
 * A Prometheus scrape of serve's /metrics next to the probes, one at a time.
 * serve may not have /metrics (it came with the metrics work): the row then
 * says what serve answered instead and measures nothing.
 */
async function metricsRow(pair, t) {
  const name = `${t.label}: /metrics scrape, one at a time`;
  const scrape = () => probes.metricsProbe('127.0.0.1', t.httpPort);
  const first = await scrape();
  if (first.answer !== 'metrics') {
    log(`${name}: not measured, serve answered ${first.answer}`);
    return { name, absent: `not measured: /metrics answered ${first.answer}` };
  }
  log(`${name}: ${SEQUENTIAL_PROBES} sequential scrapes`);
  const seq = await onServer(pair, () => probes.sequential(scrape, SEQUENTIAL_PROBES));
  return { name, ...probes.summarise(seq.result), checks: seq.checks, maxInFlight: seq.maxInFlight };
}

/** One target's storms of one size, over the rounds: the mean throughput, the medians of the rounds' latencies, the largest maximum. */
function stormRow(name, runs, target, connections) {
  const results = runs.map((r) => r.result);
  const answers = {};
  for (const r of results) for (const [a, n] of Object.entries(r.answers)) answers[a] = (answers[a] ?? 0) + n;
  return {
    name,
    target: target.label,
    connections,
    n: results.reduce((sum, r) => sum + r.n, 0),
    rps: results.reduce((sum, r) => sum + r.rps, 0) / results.length,
    median: median(results.map((r) => r.median)),
    p99: median(results.map((r) => r.p99)),
    min: NaN,
    max: Math.max(...results.map((r) => r.max)),
    answers,
    checks: target.serve ? runs.reduce((sum, r) => sum + r.checks, 0) : undefined,
    maxInFlight: target.serve ? Math.max(...runs.map((r) => r.maxInFlight)) : undefined,
  };
}

const WRK_SECONDS = positiveInt('BENCH_WRK_SECONDS', 5);
/** The storm of BURST connections the resident mode is sized for, and a tenth of it, to show where the queue starts to dominate. */
const STORMS = [Math.max(1, Math.round(BURST / 10)), BURST];

/**
 * A probe storm: wrk (C, one thread) keeps `connections` connections busy for
 * WRK_SECONDS; serve answers each request and closes, as it does for HAProxy,
 * so every probe is a fresh connection. wrk's latency runs from the request
 * written to the answer read. A Node client cannot do this honestly: opening
 * 1000 sockets in one tick blocks its own event loop for longer than the answers take.
 */
async function wrk(port, connections) {
  const r = await run('wrk', [
    '-t1',
    `-c${connections}`,
    `-d${WRK_SECONDS}s`,
    '--latency',
    '-H',
    'Connection: close',
    `http://127.0.0.1:${port}/`,
  ]);
  const ms = (text) => {
    const m = /^([\d.]+)(us|ms|s)$/.exec(text);
    if (!m) throw new Error(`wrk: cannot read the latency ${JSON.stringify(text)}`);
    return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]];
  };
  const grab = (re, what) => {
    const m = re.exec(r.stdout);
    if (!m) throw new Error(`wrk: no ${what} in its output:\n${r.stdout}`);
    return m;
  };
  const requests = Number(grab(/(\d+) requests in/, 'request count')[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  const errors = /Socket errors: (.*)/.exec(r.stdout)?.[1];
  const answers = { 200: requests - non2xx };
  if (non2xx > 0) answers['not 200'] = non2xx;
  if (errors) answers[`socket errors (${errors})`] = 1;
  return {
    n: requests,
    rps: Number(grab(/^Requests\/sec:\s+([\d.]+)/m, 'requests per second')[1]),
    median: ms(grab(/^\s+50%\s+(\S+)/m, 'median')[1]),
    p99: ms(grab(/^\s+99%\s+(\S+)/m, 'p99')[1]),
    min: NaN,
    max: ms(grab(/^\s+Latency\s+\S+\s+\S+\s+(\S+)/m, 'max latency')[1]),
    answers,
  };
}

function residentTable(rows, checkMysqlMedian) {
  const header = [
    'probe',
    'n',
    'req/s',
    'x HAProxy req/s',
    'median ms',
    'p99 ms',
    'min ms',
    'max ms',
    'x check_mysql',
    'checks run',
    'max in flight',
    'answers',
  ];
  const ceiling = (r) => rows.find((x) => x.target === 'HAProxy static 200 (ceiling)' && x.connections === r.connections);
  const opt = (v, digits) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits));
  const body = rows.map((r) =>
    r.absent !== undefined
      ? [r.name, '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', r.absent]
      : [
          r.name,
          String(r.n),
          opt(r.rps, 0),
          r.rps === undefined ? '-' : opt(r.rps / (ceiling(r)?.rps ?? NaN), 2),
          r.median.toFixed(2),
          r.p99.toFixed(2),
          opt(r.min, 2),
          r.max.toFixed(2),
          (r.median / checkMysqlMedian).toFixed(3),
          r.checks === undefined ? '-' : String(r.checks),
          r.maxInFlight === undefined ? '-' : String(r.maxInFlight),
          Object.entries(r.answers)
            .map(([a, n]) => `${a} x${n}`)
            .join(', '),
        ],
  );
  return renderTable(header, body);
}

async function main() {
  await ensurePackages();
  await ensureBuilt();
  const { Pair } = require(path.join(ROOT, 'dist/test/support/pair.js'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mfc-bench-'));
  let pair;
  const onSignal = (sig) => {
    if (interrupted) return;
    interrupted = true;
    log(`${sig}: stopping`);
    current?.kill('SIGTERM');
    for (const child of residents) child.kill('SIGKILL');
    for (const h of ceilings) void h.stop();
    const done = () => {
      fs.rmSync(work, { recursive: true, force: true });
      process.exit(sig === 'SIGINT' ? 130 : 143);
    };
    (pair ? pair.destroy() : Promise.resolve()).then(done, done);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    log('starting the MariaDB pair');
    pair = await Pair.start({ name: 'bench' });
    await createBenchUser(pair);
    const serverVersion = String((await pair.sql('a', 'SELECT VERSION() AS v'))[0].v);
    const files = {
      tcp: path.join(work, 'tcp.cnf'),
      socket: path.join(work, 'socket.cnf'),
      log: path.join(work, 'check.log'),
      state: path.join(work, 'failover.state'),
      maintenance: path.join(work, 'maintenance'),
      syslog: path.join(work, 'no-syslog.sock'),
    };
    writeOptionFile(files.tcp, { port: pair.a.port }, pair.b);
    writeOptionFile(files.socket, { socket: pair.a.socket }, pair.b);
    fs.writeFileSync(files.maintenance, '');
    const cmds = commands(pair, files);

    if (RESIDENT_ONLY) {
      const resident = residentTable(await residentBench(pair, files), NaN);
      process.stdout.write(`\n${resident.text}\n(BENCH_RESIDENT_ONLY: bench/results.md not written)\n`);
      return;
    }

    log('checking every command once');
    await sanityCheck(pair, cmds);

    const times = await interleavedHyperfine(cmds, work);

    log(`peak RSS, median of ${RSS_RUNS} runs each`);
    const rows = [];
    for (const c of cmds) {
      const t = times.get(c.name);
      rows.push({ name: c.name, c, median: median(t), min: Math.min(...t), max: Math.max(...t), rss: await peakRss(c) });
    }
    const py = rows.find((r) => r.c.peer === 'python').median;
    const cm = rows.find((r) => r.c.peer === 'check_mysql').median;
    const floor = rows.find((r) => r.c.peer === 'floor').median;
    for (const r of rows) {
      r.xPython = r.median / py;
      r.xCheckMysql = r.median / cm;
      r.overFloor = r.median - floor;
    }
    const t = table(rows);
    process.stdout.write(`\n${t.text}\n`);

    const residentRows = SINGLE_ONLY ? [] : await residentBench(pair, files);
    const resident = residentTable(residentRows, cm);
    if (!SINGLE_ONLY) process.stdout.write(`\n${resident.text}\n`);
    const goals = targets(rows, residentRows);
    process.stdout.write(`\n${goals.join('\n')}\n`);
    if (SINGLE_ONLY) {
      process.stdout.write('(BENCH_SINGLE_ONLY: bench/results.md not written)\n');
      return;
    }

    const md = [
      '# Benchmark: mysql-failover-check and its peers',
      '',
      'Written by `npm run bench` (bench/run.js); do not edit by hand.',
      '',
      `Wall time from ${ROUNDS} \`hyperfine -N --warmup ${WARMUP}\` invocations over all commands, the order rotated`,
      `each round (interleaved, so a change of machine load hits every command), ${RUNS} runs per command in all; peak RSS is the median of`,
      `${RSS_RUNS} runs of \`/usr/bin/time -f %M\`. Every command runs as \`env -i PATH=/usr/bin:/bin ...\``,
      "(snmpd's children do not inherit NODE_EXTRA_CA_CERTS, which adds ~60 ms to a Node start), against node a",
      'of a local MariaDB master-master pair, with node b as the peer, as a bench-only user. Ratios are of medians.',
      '',
      '- *healthy*: the heartbeat is fresh; connect to the local server, read the stamp, stamp. The peer cannot change',
      "  that answer and snmp's `100` does not name the reason, so the peer is not asked (it is once the heartbeat is stale).",
      `- *stale->caught-up*: before every run the stamp is set ${STALE_AGE} s back (hyperfine --prepare, not timed),`,
      '  so the check also reads SHOW ALL SLAVES STATUS and logs in to the peer (in parallel) before stamping.',
      '- *--log-file (asks the peer)*: healthy, with a log line appended per run; a log names the reason, so the peer is asked.',
      `- *failover state*: healthy, with \`${STATE_OPTIONS('FILE').join(' ')}\`: a lock file, the state file read (written`,
      '  only when the state changes, i.e. not in these runs), and the peer asked, since the state tracks it.',
      '- *--help*, *--version*, *bad option* (`--no-such-option`: DOWN, and a line to the system log through `logger`,',
      '  pointed here at a socket nobody listens on), *maintenance file* (DOWN): answers that need no database.',
      '- *over floor*: the median minus the median of `node -e 0`.',
      '- *check_mysql -S*: monitoring-plugins, connect + SHOW SLAVE STATUS (one connection, no peer, no stamp).',
      '- *Python 3 + MySQLdb*: bench/mysqldb_check.py, the same connections and queries as ours (healthy path).',
      '',
      t.md,
      '',
      '## Resident mode',
      '',
      `\`mysql-failover-check serve\` and \`mysql-failover-snmp --persist\`, started once (clean environment), probed as`,
      'balancers do: a fresh TCP connection per HTTP or agent probe, one `get` per pass_persist probe, timed from the',
      `connect (or the request) to the whole answer by Node clients (bench/probe-load.js; test/support/pass-persist-client.ts for pass_persist). ${SEQUENTIAL_PROBES} probes one at a time;`,
      'a Prometheus scrape of `/metrics` next to the HTTP probe, when serve has one. Then storms:',
      `\`wrk -t1 -cN -d${WRK_SECONDS}s -H 'Connection: close'\` with N = ${STORMS.join(' and ')} (serve closes after each answer, so every`,
      'probe is a fresh connection; wrk times from the request written to the answer read and reports no minimum),',
      `against both serves and against the machine's ceiling, HAProxy ${haproxyVersion()} answering a static 200 itself`,
      '(`http-request return status 200`, no check behind it), interleaved: ' + `${STORM_ROUNDS} rounds per N, the order of the three`,
      "rotated each round; *req/s* is the mean of the rounds, *median* and *p99* the medians of the rounds' own, *max* the largest.",
      "*x HAProxy req/s* is the throughput over the ceiling's at the same N;",
      '*x check_mysql* is the probe median over the single-shot check_mysql median above.',
      "*checks run* is the rise of node a's Com_select (each check reads its heartbeat with one SELECT; the bench's own",
      'polling uses SHOW statements); *max in flight* is the most statements of the bench user running at once in',
      "node a's processlist, polled throughout.",
      '',
      resident.md,
      '',
      '## Targets',
      '',
      ...goals,
      '',
      '## Machine',
      '',
      '| | |',
      '|---|---|',
      ...machine(serverVersion).map(([k, v]) => `| ${k} | ${v} |`),
      '',
    ].join('\n');
    fs.writeFileSync(path.join(__dirname, 'results.md'), md);
    log('wrote bench/results.md');
  } finally {
    if (!interrupted) {
      if (pair) await pair.destroy();
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
}

main().then(
  () => {
    if (!interrupted) process.exit(0);
  },
  (e) => {
    if (interrupted) return; // the signal handler exits once the pair is gone
    process.stderr.write(`bench: ${e instanceof Error ? e.stack : e}\n`);
    process.exit(1);
  },
);
