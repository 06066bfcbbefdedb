/**
 * Fault-injection suite (docs/design.md, "Bounds and failures"): real faults
 * on the real MariaDB pair and
 * on fake listeners, each driven through every executable the way its client
 * runs it: mysql-failover-snmp (snmpd extend; once more with a failover state
 * file, which must change no verdict), mysql-failover-http (a GET on stdin),
 * mysql-failover-agent (HAProxy agent-check) and check_mysql_failover
 * (Nagios). For every fault and mode it checks:
 *   - the verdict / state (fail-safe: DOWN for local faults, UP for peer faults;
 *     Nagios CRITICAL/UNKNOWN/WARNING per docs/design.md, "The Nagios states");
 *   - the answer arrives within --timeout + 0.5 s (LB modes) or -t + 1 s (Nagios);
 *   - LB modes: stdout holds only the answer, stderr nothing, exit 0;
 *   - the --log-file line names the reason;
 *   - no table other than the case's heartbeat table changed (CHECKSUM TABLE);
 *   - no monitor-user thread is left on either server afterwards.
 * The five modes of one fault run in parallel. A table (fault, mode, expected,
 * got, elapsed ms) and "N passed, N failed" are printed at the end.
 *
 *   npm run faults          this file alone
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as mysql from 'mysql2/promise';
import { Pair, quoteOptionValue, REPL_PASSWORD, type NodeName } from '../support/pair';
import { binPath, cleanEnv } from '../support/run-bin';
import { FaultListener, refusedPort } from '../support/fault-listener';

/** `snmp+state`: the snmp executable with a failover state file (docs/design.md, "Holding a failover"), which must change no verdict. */
type Mode = 'snmp' | 'snmp+state' | 'http' | 'agent' | 'nagios';
type NagiosState = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';
const ALL_MODES: readonly Mode[] = ['snmp', 'snmp+state', 'http', 'agent', 'nagios'];
const BIN: Record<Mode, string> = {
  snmp: 'mysql-failover-snmp',
  'snmp+state': 'mysql-failover-snmp',
  http: 'mysql-failover-http',
  agent: 'mysql-failover-agent',
  nagios: 'check_mysql_failover',
};
const TIMEOUT_S = 2;
const LB_BOUND_MS = TIMEOUT_S * 1000 + 500;
const NAGIOS_BOUND_MS = TIMEOUT_S * 1000 + 1000;
const GET = 'GET / HTTP/1.0\r\n\r\n';
const TABLE = 'status_example.lastcheck';

/** Option-file keys of the [mysql-failover-check] group; `null` removes a key. */
type Overrides = Record<string, string | null>;

interface Expect {
  /** LB verdict and the reason code named in the log line. */
  lb: 'UP' | 'DOWN';
  reason: RegExp;
  nagios: readonly NagiosState[];
  /** Check the --log-file line (not when the options themselves are rejected). */
  log?: boolean;
}

interface Case {
  fault: string;
  expect: Expect;
  modes?: readonly Mode[];
  /** [mysql-failover-check] overrides, or a whole option file (returns its path). */
  options?: Overrides;
  client?: Overrides;
  file?: (mode: Mode, log: string) => string;
  args?: readonly string[];
  /** Runs around the executables; the returned function undoes it. */
  setup?: () => Promise<(() => Promise<void>) | void>;
  /** Called while the executables run (e.g. kill the server mid-check). */
  during?: () => Promise<void>;
  asUser?: string;
  /** Connections to this listener must all be closed afterwards / never made. */
  listener?: () => FaultListener;
  noConnection?: boolean;
  /** How stdin is fed (HTTP/agent request faults). */
  exec?: ExecOptions;
  /** The HTTP status expected instead of the verdict (requests that get no check). */
  httpStatus?: string;
  /** The monitor user's threads are checked on these nodes afterwards. */
  processlist?: readonly NodeName[];
  /** Whether the heartbeat row on node a must have been stamped (true) or left alone (false) by the run. */
  stamped?: boolean;
}

interface Row {
  fault: string;
  mode: Mode;
  expected: string;
  got: string;
  elapsedMs: number;
  ok: boolean;
  problem?: string;
}

let pair: Pair;
let dir: string;
let seq = 0;
const rows: Row[] = [];
const listeners: FaultListener[] = [];

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

interface ExecOptions {
  input?: string | Buffer;
  /** Written one byte at a time, this many ms apart. */
  trickleMs?: number;
  /** Keep stdin open (send nothing) until the process exits. */
  holdStdin?: boolean;
  asUser?: string;
  killAfterMs?: number;
}

/** Runs an executable as a separate process with a clean environment (optionally as another user). */
function exec(name: string, args: readonly string[], opts: ExecOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const [cmd, argv] = opts.asUser ? ['runuser', ['-u', opts.asUser, '--', binPath(name), ...args]] : [binPath(name), [...args]];
    const child = spawn(cmd, argv, { env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.stdin.on('error', () => undefined);
    const killer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 20_000);
    let trickle: NodeJS.Timeout | undefined;
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      if (trickle) clearInterval(trickle);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('latin1'),
        stderr: Buffer.concat(err).toString('utf8'),
        elapsedMs: Date.now() - started,
      });
    });
    const input = opts.input === undefined ? undefined : Buffer.from(opts.input);
    if (opts.holdStdin) return;
    if (input && opts.trickleMs) {
      let i = 0;
      trickle = setInterval(() => {
        if (i < input.length) child.stdin.write(input.subarray(i, ++i));
        else {
          clearInterval(trickle);
          trickle = undefined;
          child.stdin.end();
        }
      }, opts.trickleMs);
      return;
    }
    if (input) child.stdin.end(input);
    else child.stdin.end();
  });
}

function optionFile(name: string, options: Overrides = {}, client: Overrides = {}): string {
  const base: Overrides = {
    host: '127.0.0.1',
    port: String(pair.a.port),
    peer: `127.0.0.1:${pair.b.port}`,
    table: TABLE,
    timeout: String(TIMEOUT_S),
    ...options,
  };
  const cl: Overrides = { user: quoteOptionValue(pair.monitorUser), password: quoteOptionValue(pair.monitorPassword), ...client };
  const lines = ['[client]'];
  for (const [k, v] of Object.entries(cl)) if (v !== null) lines.push(`${k}=${v}`);
  lines.push('[mysql-failover-check]');
  for (const [k, v] of Object.entries(base)) if (v !== null) lines.push(`${k}=${v}`);
  const file = join(dir, `${name}.cnf`);
  writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
  return file;
}

/** What the answer says, in the vocabulary of the expectation: UP/DOWN (+reason) or the Nagios state. */
function interpret(mode: Mode, r: RunResult): { got: string; problem?: string } {
  const out = r.stdout;
  switch (mode) {
    case 'snmp':
    case 'snmp+state':
      if (out === '100\n') return { got: 'UP' };
      if (out === '200\n') return { got: 'DOWN' };
      return { got: JSON.stringify(out).slice(0, 40), problem: 'stdout is not exactly 100 or 200 and a newline' };
    case 'http': {
      const m = /^HTTP\/1\.1 (\d{3}) [^\r\n]*\r\n/.exec(out);
      if (!m) return { got: JSON.stringify(out).slice(0, 40), problem: 'not an HTTP/1.1 response' };
      const head = out.indexOf('\r\n\r\n');
      const len = /\r\ncontent-length: *(\d+)\r\n/i.exec(out);
      if (head < 0 || !len || out.length !== head + 4 + Number(len[1]))
        return { got: m[1]!, problem: 'response is not exactly one message' };
      if (m[1] === '200') return { got: 'UP' };
      if (m[1] === '503') return { got: 'DOWN' };
      return { got: m[1]! };
    }
    case 'agent': {
      if (out === 'up ready\n') return { got: 'UP' };
      const m = /^down ready #([a-z-]+)\n$/.exec(out);
      if (m) return { got: 'DOWN' };
      return { got: JSON.stringify(out).slice(0, 40), problem: 'not an agent answer line' };
    }
    case 'nagios': {
      const m = /^MYSQL FAILOVER (OK|WARNING|CRITICAL|UNKNOWN) - /.exec(out);
      if (!m) return { got: JSON.stringify(out).slice(0, 40), problem: 'not a Nagios status line' };
      const code = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 }[m[1] as NagiosState];
      if (r.code !== code) return { got: m[1]!, problem: `exit ${r.code} does not match ${m[1]}` };
      return { got: m[1]! };
    }
  }
}

function lastLine(file: string): string {
  if (!existsSync(file)) return '';
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

async function monitorThreads(node: NodeName): Promise<number> {
  const r = await pair.sql(
    node,
    `SELECT COUNT(*) AS n FROM information_schema.processlist WHERE user LIKE 'mfc\\_%' AND user <> 'mfc_hog'`,
  );
  return Number(r[0]?.n);
}

/** Waits up to 3 s for the monitor users' server threads on `nodes` to be gone. */
async function assertNoThreadsLeft(nodes: readonly NodeName[]): Promise<string | undefined> {
  const until = Date.now() + 3000;
  for (;;) {
    const counts = await Promise.all(
      nodes.filter((n) => pair.isRunning(n) && !pair.isFrozen(n)).map(async (n) => [n, await monitorThreads(n)] as const),
    );
    const left = counts.filter(([, c]) => c > 0);
    if (left.length === 0) return undefined;
    if (Date.now() > until) return `monitor threads left behind: ${left.map(([n, c]) => `${n}=${c}`).join(' ')}`;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function runMode(c: Case, mode: Mode, execOpts: ExecOptions = {}): Promise<Row> {
  const id = `${++seq}-${mode}`;
  const log = join(dir, `${id}.log`);
  const file = c.file ? c.file(mode, log) : optionFile(id, { 'log-file': log, ...c.options }, c.client);
  const args = [
    `--defaults-file=${file}`,
    ...(mode === 'nagios' ? ['-t', String(TIMEOUT_S)] : []),
    // A fresh state with every failover option at its default: the first evaluation answers as the table says.
    ...(mode === 'snmp+state' ? [`--state-file=${join(dir, `${id}.state`)}`] : []),
    ...(c.args ?? []),
  ];
  const r = await exec(BIN[mode], args, { input: mode === 'http' ? GET : undefined, asUser: c.asUser, ...c.exec, ...execOpts });
  const { got, problem: shape } = interpret(mode, r);
  const e: Expect = mode === 'http' && c.httpStatus ? { lb: c.httpStatus as 'UP', reason: /^$/, nagios: [], log: false } : c.expect;
  const expected = mode === 'nagios' ? e.nagios.join('|') : `${e.lb} ${e.reason.source}`;
  const problems: string[] = [];
  if (shape) problems.push(shape);
  if (mode === 'nagios') {
    if (!e.nagios.includes(got as NagiosState)) problems.push(`state ${got}`);
    if (r.elapsedMs > NAGIOS_BOUND_MS) problems.push(`took ${r.elapsedMs} ms`);
  } else {
    if (got !== e.lb) problems.push(`verdict ${got}`);
    if (r.elapsedMs > LB_BOUND_MS) problems.push(`took ${r.elapsedMs} ms`);
    if (r.stderr !== '') problems.push(`stderr ${JSON.stringify(r.stderr.slice(0, 200))}`);
    if (r.code !== 0) problems.push(`exit ${r.code}`);
    const agentReason = /#([a-z-]+)\n$/.exec(r.stdout)?.[1] ?? '';
    if (mode === 'agent' && e.lb === 'DOWN' && !e.reason.test(agentReason)) problems.push(`agent reason ${JSON.stringify(r.stdout)}`);
  }
  let reasonGot = '';
  if (e.log !== false) {
    const line = lastLine(log);
    reasonGot = /reason=(\S+)/.exec(line)?.[1] ?? '';
    if (mode !== 'nagios' && !e.reason.test(reasonGot)) problems.push(`log reason "${reasonGot}" (${line.slice(0, 200)})`);
    if (mode === 'nagios' && reasonGot && !e.reason.test(reasonGot) && !/^(fresh|caught-up|peer-unreachable)$/.test(reasonGot)) {
      // Nagios logs the LB decision it evaluated; only flag a clearly unrelated one.
    }
  }
  if (r.signal) problems.push(`killed by ${r.signal}`);
  return {
    fault: c.fault,
    mode,
    expected,
    got: reasonGot && mode !== 'nagios' ? `${got} ${reasonGot}` : got,
    elapsedMs: r.elapsedMs,
    ok: problems.length === 0,
    problem: problems.length ? `${problems.join('; ')} | stdout=${JSON.stringify(r.stdout.slice(0, 300))}` : undefined,
  };
}

const WATCHED_TABLES = [
  TABLE,
  'status_example.stale_hb',
  'status_example.empty_hb',
  'status_example.null_hb',
  'status_example.future_hb',
  'faults.t',
  'mysql.global_priv',
];

/** Checksums of every watched table but the case's heartbeat table, on the local node (undefined when it cannot answer). */
async function checksums(c: Case): Promise<string | undefined> {
  if (!pair.isRunning('a') || pair.isFrozen('a')) return undefined;
  const heartbeat = c.options?.['table'] ?? TABLE;
  const tables = WATCHED_TABLES.filter((t) => t !== heartbeat);
  const r = await pair.sql('a', `CHECKSUM TABLE ${tables.join(', ')}`);
  return r.map((x) => `${x.Table}=${x.Checksum}`).join(' ');
}

/** The newest stamp of the case's heartbeat table on node a. */
async function heartbeatStamp(c: Case): Promise<string> {
  const table = c.options?.['table'] ?? TABLE;
  const r = await pair.sql('a', `SELECT MAX(lastcheck) AS s FROM ${table}`);
  return String(r[0]?.s);
}

async function runCase(c: Case): Promise<void> {
  const undo = c.setup ? await c.setup() : undefined;
  const lis = c.listener?.();
  const before = lis?.connections ?? 0;
  let results: Row[];
  let changed: string | undefined;
  try {
    const sumsBefore = await checksums(c);
    const stampBefore = c.stamped === undefined ? undefined : await heartbeatStamp(c);
    const runs = Promise.all((c.modes ?? ALL_MODES).map((m) => runMode(c, m)));
    if (c.during) await c.during();
    results = await runs;
    const sumsAfter = sumsBefore === undefined ? undefined : await checksums(c);
    if (sumsAfter !== undefined && sumsAfter !== sumsBefore)
      changed = `tables other than the heartbeat changed: ${sumsBefore} -> ${sumsAfter}`;
    if (c.stamped !== undefined) {
      const stampAfter = await heartbeatStamp(c);
      if (c.stamped && stampAfter === stampBefore) changed = `${changed ?? ''} heartbeat not stamped (${stampBefore})`;
      if (!c.stamped && stampAfter !== stampBefore) changed = `${changed ?? ''} heartbeat stamped (${stampBefore} -> ${stampAfter})`;
    }
  } finally {
    if (undo) await undo();
  }
  if (lis) {
    if (c.noConnection && lis.connections !== before)
      results[0]!.problem = `${results[0]!.problem ?? ''} connected to the server ${lis.connections - before} times`;
    await new Promise((r) => setTimeout(r, 100));
    if (lis.open > 0) results[0]!.problem = `${results[0]!.problem ?? ''} ${lis.open} connection(s) to the fake server left open`;
  }
  if (changed) results[0]!.problem = `${results[0]!.problem ?? ''} ${changed}`;
  const left = await assertNoThreadsLeft(c.processlist ?? ['a', 'b']);
  if (left) results[0]!.problem = `${results[0]!.problem ?? ''} ${left}`;
  for (const row of results) {
    row.ok = row.problem === undefined;
    rows.push(row);
  }
  const failed = results.filter((x) => !x.ok);
  assert.deepEqual(
    failed.map((x) => `${x.mode}: ${x.problem}`),
    [],
  );
}

function printTable(): void {
  const header = ['fault', 'mode', 'expected', 'got', 'elapsed ms'];
  const body = rows.map((r) => [r.fault, r.mode, r.expected, r.got + (r.ok ? '' : '  <-- FAIL'), String(r.elapsedMs)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cols: string[]) =>
    cols
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const lines = [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...body.map(fmt)];
  const passed = rows.filter((r) => r.ok).length;
  lines.push(`${passed} passed, ${rows.length - passed} failed`);
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

/** Holds one connection of `user` open on `node` until the returned function is called. */
async function holdAs(node: NodeName, user: string, password: string): Promise<() => Promise<void>> {
  const conn = await mysql.createConnection({ host: '127.0.0.1', port: pair[node].port, user, password });
  return async () => {
    await conn.end().catch(() => conn.destroy());
  };
}

/** Holds a root connection with `statements` run on it until the returned function is called. */
async function hold(node: NodeName, statements: string[]): Promise<() => Promise<void>> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let ready!: () => void;
  let failed!: (e: unknown) => void;
  const isReady = new Promise<void>((res, rej) => ((ready = res), (failed = rej)));
  const done = pair
    .withConnection(node, async (conn) => {
      for (const s of statements) await conn.query(s);
      ready();
      await released;
      await conn.query('ROLLBACK').catch(() => undefined);
      await conn.query('UNLOCK TABLES').catch(() => undefined);
    })
    .catch(failed);
  await isReady;
  return async () => {
    release();
    await done;
  };
}

async function onBoth(statements: string[]): Promise<void> {
  for (const n of ['a', 'b'] as const) {
    await pair.withConnection(n, async (conn) => {
      await conn.query('SET SESSION sql_log_bin = 0');
      for (const s of statements) await conn.query(s);
    });
  }
}

const STALE = 'status_example.stale_hb';
async function makeStale(): Promise<void> {
  await pair.sql('a', `UPDATE ${STALE} SET lastcheck = 1000`);
  await pair.waitCaughtUp('b');
}

const LOCAL_DOWN: Expect = { lb: 'DOWN', reason: /^local-unreachable$/, nagios: ['CRITICAL'] };
const AUTH_DOWN: Expect = { lb: 'DOWN', reason: /^local-auth-failed$/, nagios: ['CRITICAL'] };
/** Replication stopped on a, heartbeat stale: the verdict rows 3 to 7 give. */
async function stopReplicationStale(): Promise<() => Promise<void>> {
  await makeStale();
  await pair.sql('a', 'STOP SLAVE');
  return async () => {
    await pair.sql('a', 'START SLAVE');
    await pair.waitReplicationRunning('a');
  };
}
const STOPPED_DOWN: Expect = { lb: 'DOWN', reason: /^replication-stopped$/, nagios: ['CRITICAL'] };
const PEER_UP: Expect = { lb: 'UP', reason: /^peer-unreachable$/, nagios: ['WARNING'] };
const REJECTED: Expect = { lb: 'DOWN', reason: /^error$/, nagios: ['UNKNOWN'], log: false };

describe('fault injection', () => {
  let silent: FaultListener;
  let half: FaultListener;
  let refused: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mfc-faults-'));
    chmodSync(dir, 0o755);
    [pair, silent, half, refused] = await Promise.all([
      Pair.start({ name: 'faults' }),
      FaultListener.start('silent'),
      FaultListener.start('half'),
      refusedPort(),
    ]);
    listeners.push(silent, half);
    await pair.sql('a', `CREATE TABLE IF NOT EXISTS ${STALE} (lastcheck BIGINT)`);
    await pair.sql('a', `INSERT INTO ${STALE} VALUES (1000)`);
    await pair.sql('a', 'CREATE TABLE IF NOT EXISTS status_example.empty_hb (lastcheck BIGINT)');
    await pair.sql('a', 'CREATE TABLE IF NOT EXISTS status_example.null_hb (lastcheck BIGINT)');
    await pair.sql('a', 'INSERT INTO status_example.null_hb VALUES (NULL)');
    await pair.sql('a', 'CREATE TABLE IF NOT EXISTS status_example.future_hb (lastcheck BIGINT)');
    await pair.sql('a', 'INSERT INTO status_example.future_hb VALUES (UNIX_TIMESTAMP() + 86400)');
    await pair.sql('a', 'CREATE DATABASE IF NOT EXISTS faults');
    await pair.sql('a', 'CREATE TABLE IF NOT EXISTS faults.t (id INT PRIMARY KEY)');
    await pair.waitCaughtUp('b');
    for (const host of ['127.0.0.1', 'localhost']) {
      await onBoth([
        `CREATE USER 'mfc_norepl'@'${host}' IDENTIFIED BY 'norepl-pw'`,
        `GRANT SELECT, INSERT, UPDATE ON status_example.* TO 'mfc_norepl'@'${host}'`,
        `CREATE USER 'mfc_hog'@'${host}' IDENTIFIED BY 'hog-pw'`,
        `CREATE USER 'mfc_onlyone'@'${host}' IDENTIFIED BY 'onlyone-pw' WITH MAX_USER_CONNECTIONS 1`,
      ]);
    }
  });

  after(async () => {
    printTable();
    await Promise.all(listeners.map((l) => l.close()));
    await pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cases: Case[] = [
    // 1. frozen servers
    {
      fault: 'local frozen (SIGSTOP)',
      expect: LOCAL_DOWN,
      setup: async () => {
        pair.freeze('a');
        return async () => pair.thaw('a');
      },
    },
    {
      fault: 'peer frozen (SIGSTOP)',
      expect: PEER_UP,
      setup: async () => {
        pair.freeze('b');
        return async () => pair.thaw('b');
      },
    },
    // 2. listeners that never greet / half greet
    { fault: 'local never greets', expect: LOCAL_DOWN, options: { port: '0' }, listener: () => silent },
    { fault: 'local half greeting', expect: LOCAL_DOWN, options: { port: '0' }, listener: () => half },
    { fault: 'peer never greets', expect: PEER_UP, options: { peer: 'P:silent' }, listener: () => silent },
    { fault: 'peer half greeting', expect: PEER_UP, options: { peer: 'P:half' }, listener: () => half },
    // 3. refused, missing socket, unresolvable peer
    { fault: 'local connection refused', expect: LOCAL_DOWN, options: { port: 'P:refused' } },
    {
      fault: 'local socket path missing',
      expect: LOCAL_DOWN,
      options: { host: 'localhost', port: null, socket: '/nonexistent/mysqld.sock' },
    },
    { fault: 'peer connection refused', expect: PEER_UP, options: { peer: 'P:peer-refused' } },
    { fault: 'peer host does not resolve', expect: PEER_UP, options: { peer: 'no-such-host.invalid:3306' } },
    // 3b. a peer that answers with an error is alive: rows 3 to 7 decide, nothing is stamped
    {
      fault: 'peer refuses the login (wrong peer-password), replication stopped, stale',
      expect: STOPPED_DOWN,
      options: { table: STALE, 'peer-password': 'wrong-peer-password' },
      setup: stopReplicationStale,
      stamped: false,
    },
    {
      fault: 'peer has no account for us (unknown peer-user), replication stopped, stale',
      expect: STOPPED_DOWN,
      options: { table: STALE, 'peer-user': 'mfc_nosuchpeer', 'peer-password': 'x' },
      setup: stopReplicationStale,
      stamped: false,
    },
    {
      fault: 'peer refuses: too many connections for our account, replication stopped, stale',
      expect: STOPPED_DOWN,
      options: { table: STALE, 'peer-user': 'mfc_onlyone', 'peer-password': 'onlyone-pw' },
      setup: async () => {
        const undo = await stopReplicationStale();
        const release = await holdAs('b', 'mfc_onlyone', 'onlyone-pw');
        return async () => {
          await release();
          await undo();
        };
      },
      stamped: false,
    },
    {
      fault: 'peer server stopped, replication stopped, stale: still row 2, stamped',
      // Nagios: a stopped SQL thread is CRITICAL even with the peer down (docs/design.md, Nagios states).
      expect: { ...PEER_UP, nagios: ['CRITICAL'] },
      options: { table: STALE },
      setup: async () => {
        const undo = await stopReplicationStale();
        await pair.stop('b');
        return async () => {
          await pair.startNode('b');
          await undo();
          await pair.waitReplicationRunning('b');
        };
      },
      processlist: ['a'],
      stamped: true,
    },
    // 4. authentication and privileges
    { fault: 'wrong password', expect: AUTH_DOWN, client: { password: 'wrong-password' } },
    { fault: 'no such user', expect: AUTH_DOWN, client: { user: 'nosuchuser', password: 'x' } },
    {
      fault: 'user without replication privilege (stale)',
      expect: { lb: 'DOWN', reason: /^local-privilege-missing$/, nagios: ['CRITICAL'] },
      client: { user: 'mfc_norepl', password: 'norepl-pw' },
      options: { table: STALE },
      setup: async () => void (await makeStale()),
    },
    // 6. heartbeat table
    {
      fault: 'heartbeat table missing',
      expect: { lb: 'DOWN', reason: /^heartbeat-missing$/, nagios: ['CRITICAL'] },
      options: { table: 'status_example.no_such_table' },
    },
    // 8. read_only
    {
      fault: 'read_only on local',
      expect: { lb: 'DOWN', reason: /^heartbeat-write-failed$/, nagios: ['CRITICAL'] },
      setup: async () => {
        await pair.sql('a', 'SET GLOBAL read_only = 1');
        return async () => void (await pair.sql('a', 'SET GLOBAL read_only = 0'));
      },
    },
    // 7. locks
    {
      fault: 'heartbeat row locked (FOR UPDATE)',
      expect: { lb: 'DOWN', reason: /^heartbeat-write-failed$/, nagios: ['CRITICAL'] },
      setup: async () => hold('a', ['BEGIN', `SELECT * FROM ${TABLE} FOR UPDATE`]),
    },
    {
      fault: 'FLUSH TABLES WITH READ LOCK on local',
      expect: { lb: 'DOWN', reason: /^heartbeat-write-failed$/, nagios: ['CRITICAL'] },
      setup: async () => hold('a', ['FLUSH TABLES WITH READ LOCK']),
    },
    // 9. replication broken, stale stamp
    {
      fault: 'SQL thread stopped (duplicate key)',
      expect: { lb: 'DOWN', reason: /^replication-stopped$/, nagios: ['CRITICAL'] },
      options: { table: STALE },
      setup: async () => {
        await makeStale();
        await pair.withConnection('a', async (conn) => {
          await conn.query('SET SESSION sql_log_bin = 0');
          await conn.query('INSERT INTO faults.t VALUES (1)');
        });
        await pair.sql('b', 'INSERT INTO faults.t VALUES (1)');
        const until = Date.now() + 15_000;
        while ((await pair.slaveStatus('a'))?.['Slave_SQL_Running'] !== 'No') {
          if (Date.now() > until) throw new Error('the SQL thread on a did not stop');
          await new Promise((r) => setTimeout(r, 100));
        }
        return async () => {
          await pair.withConnection('a', async (conn) => {
            await conn.query('SET SESSION sql_log_bin = 0');
            await conn.query('DELETE FROM faults.t WHERE id = 1');
          });
          await pair.sql('a', 'START SLAVE');
          await pair.waitReplicationRunning('a');
          await pair.waitCaughtUp('a');
          await pair.sql('b', 'DELETE FROM faults.t');
          await pair.waitCaughtUp('a');
        };
      },
    },
    {
      fault: 'IO thread cannot connect (wrong repl password)',
      expect: { lb: 'DOWN', reason: /^replication-stopped$/, nagios: ['CRITICAL'] },
      options: { table: STALE },
      setup: async () => {
        await makeStale();
        await pair.sql('a', 'STOP SLAVE');
        await pair.sql('a', "CHANGE MASTER TO MASTER_PASSWORD = 'wrong-repl-pw'");
        await pair.sql('a', 'START SLAVE');
        return async () => {
          await pair.sql('a', 'STOP SLAVE');
          await pair.sql('a', 'CHANGE MASTER TO MASTER_PASSWORD = ?', [REPL_PASSWORD]);
          await pair.sql('a', 'START SLAVE');
          await pair.waitReplicationRunning('a');
        };
      },
    },
    // 11. option files
    {
      fault: 'option file missing',
      expect: REJECTED,
      file: () => join(dir, 'no-such-file.cnf'),
    },
    {
      fault: 'option file unreadable (as nobody)',
      expect: REJECTED,
      asUser: 'nobody',
      file: (mode) => optionFile(`unreadable-${mode}`),
    },
    {
      fault: 'option file malformed lines',
      expect: { lb: 'DOWN', reason: /^error$/, nagios: ['UNKNOWN'], log: false },
      file: (mode) => {
        const f = join(dir, `malformed-${mode}.cnf`);
        writeFileSync(f, 'user=outside-any-group\n[client\nthis line = \n=value\n[mysql-failover-check]\n\0\n', { mode: 0o600 });
        return f;
      },
    },
    {
      fault: 'option file binary garbage',
      expect: { lb: 'DOWN', reason: /^error$/, nagios: ['UNKNOWN'], log: false },
      file: (mode) => {
        const f = join(dir, `garbage-${mode}.cnf`);
        let x = 12345;
        const buf = Buffer.alloc(4096, 0).map(() => ((x = (x * 1103515245 + 12345) & 0x7fffffff), x >> 16) & 0xff);
        writeFileSync(f, buf, { mode: 0o600 });
        return f;
      },
    },
    {
      // my_print_defaults stops a loop at its recursion limit with a warning; so must we, without hanging.
      fault: 'option file !include loop',
      expect: { lb: 'UP', reason: /^(fresh|caught-up)$/, nagios: ['OK'] },
      file: (mode, log) => {
        const f1 = optionFile(`loop1-${mode}`, { 'log-file': log });
        const f2 = join(dir, `loop2-${mode}.cnf`);
        writeFileSync(f1, `!include ${f2}\n` + readFileSync(f1, 'utf8'), { mode: 0o600 });
        writeFileSync(f2, `!include ${f1}\n`, { mode: 0o600 });
        return f1;
      },
    },
    // 5. max_connections exhausted by unprivileged sessions
    {
      fault: 'max_connections exhausted on local',
      expect: { lb: 'DOWN', reason: /^local-refused$/, nagios: ['CRITICAL'] },
      setup: async () => {
        await pair.sql('a', 'SET GLOBAL max_connections = 4');
        const hogs: mysql.Connection[] = [];
        for (let i = 0; i < 10; i++) {
          try {
            const c = await mysql.createConnection({ host: '127.0.0.1', port: pair.a.port, user: 'mfc_hog', password: 'hog-pw' });
            c.on('error', () => undefined);
            hogs.push(c);
          } catch {
            break; // too many connections: the server is full
          }
        }
        if (hogs.length === 10) throw new Error('max_connections did not bite');
        return async () => {
          await Promise.all(hogs.map((h) => h.end().catch(() => h.destroy())));
          await pair.sql('a', 'SET GLOBAL max_connections = 151');
        };
      },
    },
    // 6. heartbeat contents
    // Each mode on its own: the LB modes stamp, which ends the fault.
    ...(
      [
        ['heartbeat table empty', 'status_example.empty_hb', 'DELETE FROM status_example.empty_hb'],
        ['heartbeat stamp NULL', 'status_example.null_hb', 'UPDATE status_example.null_hb SET lastcheck = NULL'],
        [
          'heartbeat stamp in the future',
          'status_example.future_hb',
          'UPDATE status_example.future_hb SET lastcheck = UNIX_TIMESTAMP() + 86400',
        ],
      ] as const
    ).flatMap(([fault, table, reset]) =>
      ALL_MODES.map((mode): Case => ({
        fault,
        expect: { lb: 'UP', reason: /^caught-up$/, nagios: ['OK'] },
        options: { table },
        modes: [mode],
        setup: async () => {
          await pair.sql('a', reset);
          await pair.waitCaughtUp('b');
        },
      })),
    ),
    // 10. the server killed in the middle of a check (held there by a row lock)
    {
      fault: 'local SIGKILLed mid-check',
      // The plugin's trial stamp waits on the same lock, so it is killed mid-check too.
      expect: { lb: 'DOWN', reason: /^(local-unreachable|heartbeat-write-failed)$/, nagios: ['CRITICAL'] },
      processlist: ['b'],
      setup: async () => {
        const release = await hold('a', ['BEGIN', `SELECT * FROM ${TABLE} FOR UPDATE`]);
        return async () => {
          await release();
          await pair.startNode('a');
          await pair.waitReplicationRunning('a');
          await pair.waitReplicationRunning('b');
        };
      },
      during: async () => {
        await new Promise((r) => setTimeout(r, 700));
        await pair.kill('a');
      },
    },
    // 11. more option files
    {
      fault: 'option file of 10 MB',
      expect: REJECTED,
      file: (mode, log) => {
        const f = optionFile(`big-${mode}`, { 'log-file': log });
        const filler = '[other-program]\n' + `# ${'x'.repeat(98)}\nkey=${'v'.repeat(95)}\n`.repeat(50_000);
        writeFileSync(f, filler + readFileSync(f, 'utf8'), { mode: 0o600 });
        return f;
      },
    },
    {
      fault: 'option file world-writable (ignored)',
      expect: { lb: 'DOWN', reason: /^(local-unreachable|error)$/, nagios: ['CRITICAL', 'UNKNOWN'], log: false },
      file: (mode, log) => {
        const f = optionFile(`ww-${mode}`, { 'log-file': log });
        chmodSync(f, 0o666);
        return f;
      },
    },
    // 13. what arrives on stdin (HTTP responder and HAProxy agent)
    {
      fault: 'stdin: no request bytes (held open)',
      expect: { lb: 'UP', reason: /^(fresh|caught-up)$/, nagios: [] },
      modes: ['http', 'agent'],
      exec: { holdStdin: true },
      httpStatus: '400',
    },
    {
      fault: 'stdin: 1 MB of headers',
      expect: { lb: 'UP', reason: /^(fresh|caught-up)$/, nagios: [] },
      modes: ['http', 'agent'],
      exec: { input: `GET / HTTP/1.1\r\n${`X-Filler: ${'f'.repeat(1000)}\r\n`.repeat(1000)}\r\n` },
      httpStatus: '400',
    },
    {
      fault: 'stdin: binary garbage',
      expect: { lb: 'UP', reason: /^(fresh|caught-up)$/, nagios: [] },
      modes: ['http', 'agent'],
      exec: { input: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 0xff)) },
      httpStatus: '400',
    },
    {
      fault: 'stdin: request trickled 1 byte/100 ms',
      expect: { lb: 'UP', reason: /^(fresh|caught-up)$/, nagios: [] },
      modes: ['http', 'agent'],
      exec: { input: GET, trickleMs: 100 },
      httpStatus: '400',
    },
    // 12. command line (never reaches the server: the local node is a counting fake listener)
    ...[
      ['unknown option', '--bogus'],
      ['--timeout non-numeric', '--timeout=abc'],
      ['--timeout negative', '--timeout=-1'],
      ['--fresh non-numeric', '--fresh=abc'],
      ['--fresh negative', '--fresh=-5'],
      ['--max-lag non-numeric', '--max-lag=x'],
      ['--max-lag negative', '--max-lag=-1'],
      ['--table with SQL', '--table=x; DROP TABLE y'],
      ['--table with backticks', '--table=`a`.`b`'],
      ['--table with quotes', '--table=a\'b.c"d'],
    ].map(([fault, arg]): Case => ({
      fault: `cli: ${fault}`,
      expect: REJECTED,
      options: { port: '0', 'log-file': null },
      args: [arg!],
      listener: () => silent,
      noConnection: true,
      processlist: [],
    })),
  ];

  // MFC_FAULTS_REPEAT=N runs every case N times (flake hunting).
  const repeat = Math.max(1, Number(process.env['MFC_FAULTS_REPEAT']) || 1);
  for (const c of cases.flatMap((x) => Array.from({ length: repeat }, () => x))) {
    test(c.fault, async () => {
      // Ports of the listeners are known only once they started.
      const resolved: Case = { ...c, options: c.options ? { ...c.options } : undefined };
      const o = resolved.options;
      if (o) {
        if (o['port'] === '0' && c.listener) o['port'] = String(c.listener().port);
        if (o['port'] === 'P:refused') o['port'] = String(refused);
        if (o['peer'] === 'P:silent') o['peer'] = `127.0.0.1:${silent.port}`;
        if (o['peer'] === 'P:half') o['peer'] = `127.0.0.1:${half.port}`;
        if (o['peer'] === 'P:peer-refused') o['peer'] = `127.0.0.1:${refused}`;
      }
      await runCase(resolved);
    });
  }
});
