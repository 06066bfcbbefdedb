/**
 * A real MariaDB master-master pair for integration tests.
 *
 * Two `mariadbd` processes on 127.0.0.1 (free ports, throwaway data dirs
 * copied from the template that scripts/test.js creates), replicating both
 * ways with GTIDs (MASTER_USE_GTID=slave_pos, distinct gtid_domain_id and
 * auto_increment_offset per node), with the monitor user and the original
 * heartbeat table `status_example.lastcheck` (one row) in place.
 *
 * REQUIREMENT for every test file that starts a pair: destroy it from an
 * `after()` hook, so that a failing or throwing test still stops the servers:
 *
 *     let pair: Pair;
 *     before(async () => { pair = await Pair.start({ name: 'decide' }); });
 *     after(() => pair?.destroy());
 *
 * Safety nets, in case that is forgotten or the process dies: the servers'
 * pids are registered in the run directory and scripts/test.js kills them at
 * the end of the run (also on SIGINT/SIGTERM); a process 'exit' handler here
 * SIGKILLs the servers of pairs that were never destroyed. The servers are
 * detached (own session, stdio not connected to the test process), so a
 * killed test process never waits for them, but nothing stops them before
 * one of those steps runs.
 *
 * Root access for test code goes over the unix socket as root with an empty
 * password (`pair.sql()`); the code under test should use the monitor user
 * over TCP (`pair.monitorConnection(node)` or `pair.writeOptionFile()`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as mysql from 'mysql2/promise';
import { settlesWithin } from '../../src/demo/settles-within';
import { serverArgs as demoServerArgs, SLAVE_NET_TIMEOUT_S } from '../../src/demo/server-process';
import { freePort, makeTempDir, mariadbdPath, registerPid, templateDatadir } from './run-dir';

export type NodeName = 'a' | 'b';

export interface NodeInfo {
  readonly name: NodeName;
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Unix socket of the server (root can log in here without a password). */
  readonly socket: string;
  readonly datadir: string;
  /** Also its gtid_domain_id and auto_increment_offset. */
  readonly serverId: number;
}

export interface PairOptions {
  /** Used in directory names and log messages; keep it short. */
  name?: string;
  /**
   * Extra mariadbd options for both nodes, appended after the harness's own
   * (so they win), e.g. ['--binlog-format=MIXED'] or ['--slave-exec-mode=IDEMPOTENT'].
   */
  serverArgs?: string[];
}

/** Connection settings for the monitor user on one node, over TCP. */
export interface MonitorConnection {
  host: '127.0.0.1';
  port: number;
  user: string;
  password: string;
}

export const MONITOR_USER = 'mfc_monitor';
/** Valid in an option file when quoted: contains '#', ';', '"' and a space. */
export const MONITOR_PASSWORD = 'mfc#Mon; "pw" 1';
/**
 * Global privileges of the monitor user. On MariaDB >= 10.5.9 `SHOW [ALL] SLAVE
 * STATUS` needs SLAVE MONITOR (or SUPER); REPLICATION CLIENT is now only an alias
 * of BINLOG MONITOR, which covers SHOW MASTER STATUS / SHOW BINARY LOGS but is
 * refused for SHOW SLAVE STATUS (error 1227).
 */
export const MONITOR_GLOBAL_PRIVILEGES = ['SLAVE MONITOR', 'BINLOG MONITOR'] as const;
/** Schema-level privileges of the monitor user: SELECT, INSERT, UPDATE on each. */
export const MONITOR_SCHEMAS = ['status_example', 'mysql_failover'] as const;
export const REPL_USER = 'repl';
export const REPL_PASSWORD = 'repl-pw-1';
/** Seconds; the replica I/O thread notices a silent (e.g. frozen) source after this long. */
export const SLAVE_NET_TIMEOUT = SLAVE_NET_TIMEOUT_S;

const NODE_NAMES: readonly NodeName[] = ['a', 'b'];
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 60_000;
const POLL_MS = 25;

interface NodeState {
  info: NodeInfo;
  child: ChildProcess | undefined;
  exited: Promise<void> | undefined;
  exitDescription: string | undefined;
  frozen: boolean;
}

const livePairs = new Set<Pair>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pair of livePairs) pair.killAllSync();
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Parses a GTID position such as "1-1-5,2-2-17" into domain -> seq_no. */
export function parseGtidPos(pos: string | null | undefined): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (const part of (pos ?? '').split(',')) {
    const m = /^\s*(\d+)-(\d+)-(\d+)\s*$/.exec(part);
    if (m && m[1] !== undefined && m[3] !== undefined) out.set(Number(m[1]), BigInt(m[3]));
  }
  return out;
}

/**
 * Formats a value for a MySQL/MariaDB option file: bare when it has only
 * harmless characters, single-quoted when that needs no escapes, otherwise
 * double-quoted with backslash escapes (the client and my_print_defaults
 * undo \\, \" and \n inside quotes).
 */
export function quoteOptionValue(value: string): string {
  if (/^[A-Za-z0-9_.,:/@+=%^-]*$/.test(value) && value !== '') return value;
  if (!/['\\\n\r\t]/.test(value)) return `'${value}'`;
  const escaped = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  return `"${escaped}"`;
}

function tail(file: string, lines = 25): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no error log)';
  }
}

export class Pair {
  readonly dir: string;
  readonly name: string;
  readonly monitorUser = MONITOR_USER;
  readonly monitorPassword = MONITOR_PASSWORD;
  readonly replUser = REPL_USER;
  readonly replPassword = REPL_PASSWORD;

  private readonly nodes: Record<NodeName, NodeState>;
  private readonly extraArgs: readonly string[];
  private destroying: Promise<void> | undefined;

  private constructor(name: string, dir: string, ports: Record<NodeName, number>, extraArgs: readonly string[]) {
    this.name = name;
    this.dir = dir;
    this.extraArgs = extraArgs;
    const mk = (n: NodeName, serverId: number): NodeState => {
      const datadir = path.join(dir, n);
      return {
        info: {
          name: n,
          host: '127.0.0.1',
          port: ports[n],
          socket: path.join(datadir, 'mysqld.sock'),
          datadir,
          serverId,
        },
        child: undefined,
        exited: undefined,
        exitDescription: undefined,
        frozen: false,
      };
    };
    this.nodes = { a: mk('a', 1), b: mk('b', 2) };
  }

  get a(): NodeInfo {
    return this.nodes.a.info;
  }

  get b(): NodeInfo {
    return this.nodes.b.info;
  }

  node(n: NodeName): NodeInfo {
    return this.nodes[n].info;
  }

  static other(n: NodeName): NodeName {
    return n === 'a' ? 'b' : 'a';
  }

  /**
   * Copies the template twice, starts both servers, creates the users (with
   * sql_log_bin=0 on each node), sets up replication both ways, creates the
   * heartbeat table on a and waits until it has reached b and both
   * replication threads run on both nodes with no lag.
   */
  static async start(opts: PairOptions = {}): Promise<Pair> {
    const name = (opts.name ?? 'pair').replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 12) || 'pair';
    const dir = makeTempDir(`${name}-`);
    const pair = new Pair(name, dir, { a: await freePort(), b: await freePort() }, [...(opts.serverArgs ?? [])]);
    if (Buffer.byteLength(pair.a.socket) > 100) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`socket path too long for a unix socket (${pair.a.socket}); use a shorter TMPDIR`);
    }
    livePairs.add(pair);
    installExitHook();
    try {
      const template = templateDatadir();
      for (const n of NODE_NAMES) {
        fs.cpSync(template, pair.nodes[n].info.datadir, { recursive: true });
      }
      await Promise.all(NODE_NAMES.map((n) => pair.spawnAndWait(n, true)));
      await Promise.all(NODE_NAMES.map((n) => pair.createUsers(n)));
      await Promise.all(NODE_NAMES.map((n) => pair.configureReplica(n)));
      await pair.sql('a', 'CREATE DATABASE status_example');
      await pair.sql('a', 'CREATE TABLE status_example.lastcheck (lastcheck BIGINT) ENGINE=InnoDB');
      await pair.sql('a', 'INSERT INTO status_example.lastcheck VALUES (UNIX_TIMESTAMP())');
      await Promise.all(NODE_NAMES.map((n) => pair.waitReplicationRunning(n)));
      await pair.waitCaughtUp('b');
      await pair.waitCaughtUp('a');
      const rows = await pair.sql('b', 'SELECT COUNT(*) AS n FROM status_example.lastcheck');
      if (Number(rows[0]?.n) !== 1) throw new Error('heartbeat row did not replicate to b');
      return pair;
    } catch (e) {
      await pair.destroy().catch(() => undefined);
      throw e;
    }
  }

  // ---------------------------------------------------------------- SQL

  /**
   * Runs one statement as root over the node's unix socket, on a connection
   * of its own (opened and closed per call, so it survives restarts; session
   * settings do not carry over between calls -- use withConnection for that).
   * Returns the rows, or `[ResultSetHeader]` for statements without rows.
   */
  async sql(node: NodeName, sql: string, params?: unknown[]): Promise<any[]> {
    return this.withConnection(node, async (conn) => {
      const [rows] = await conn.query(sql, params);
      return Array.isArray(rows) ? (rows as any[]) : [rows];
    });
  }

  /** Runs `fn` with a root connection (unix socket) to `node`, closed afterwards. */
  async withConnection<T>(node: NodeName, fn: (conn: mysql.Connection) => Promise<T>): Promise<T> {
    const st = this.nodes[node];
    if (st.frozen) throw new Error(`${this.label(node)} is frozen; thaw it before running SQL on it`);
    if (!this.isRunning(node)) throw new Error(`${this.label(node)} is not running (${st.exitDescription ?? 'never started'})`);
    const conn = await this.rootConnection(st.info.socket);
    conn.on('error', () => undefined); // errors surface through the pending query
    try {
      return await fn(conn);
    } finally {
      await closeQuietly(conn);
    }
  }

  /**
   * A root connection. With max_connections reached (a fault test does that),
   * root gets in only through the one extra connection the server keeps for
   * administrators, and the server frees our previous connection's slot a
   * moment after we closed it: so ER_CON_COUNT_ERROR is retried, briefly.
   */
  private async rootConnection(socketPath: string): Promise<mysql.Connection> {
    const until = Date.now() + 3000;
    for (;;) {
      try {
        return await mysql.createConnection({ socketPath, user: 'root', password: '', connectTimeout: 10_000, supportBigNumbers: true });
      } catch (e) {
        if ((e as { code?: unknown }).code !== 'ER_CON_COUNT_ERROR' || Date.now() > until) throw e;
        await sleep(50);
      }
    }
  }

  /** Connection settings for the monitor user on `node` (TCP, 127.0.0.1). */
  monitorConnection(node: NodeName): MonitorConnection {
    return { host: '127.0.0.1', port: this.nodes[node].info.port, user: this.monitorUser, password: this.monitorPassword };
  }

  /**
   * Writes an option file with a [client] group holding the monitor user and
   * password (quoted as the client expects), then `extra` (e.g. { host:
   * '127.0.0.1', port: '3306' }), with mode 0600.
   */
  writeOptionFile(file: string, extra: Record<string, string> = {}): void {
    const lines = ['[client]', `user=${quoteOptionValue(this.monitorUser)}`, `password=${quoteOptionValue(this.monitorPassword)}`];
    for (const [k, v] of Object.entries(extra)) {
      if (!/^[A-Za-z0-9_-]+$/.test(k)) throw new Error(`writeOptionFile: bad option name ${JSON.stringify(k)}`);
      lines.push(`${k}=${quoteOptionValue(v)}`);
    }
    fs.writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
    fs.chmodSync(file, 0o600);
  }

  // ---------------------------------------------------------------- processes

  isRunning(node: NodeName): boolean {
    const st = this.nodes[node];
    return st.child !== undefined && st.exitDescription === undefined;
  }

  isFrozen(node: NodeName): boolean {
    return this.nodes[node].frozen;
  }

  pid(node: NodeName): number | undefined {
    return this.isRunning(node) ? this.nodes[node].child?.pid : undefined;
  }

  /** The last lines of the node's error log. */
  errorLog(node: NodeName, lines = 50): string {
    return tail(path.join(this.nodes[node].info.datadir, 'error.log'), lines);
  }

  /** Clean shutdown (SIGTERM; thaws first if frozen), waits for the process to exit. */
  async stop(node: NodeName): Promise<void> {
    const st = this.nodes[node];
    if (!this.isRunning(node)) return;
    this.thaw(node);
    st.child?.kill('SIGTERM');
    if (!(await this.waitExit(node, STOP_TIMEOUT_MS))) {
      st.child?.kill('SIGKILL');
      await this.waitExit(node, 10_000);
      throw new Error(`${this.label(node)} did not shut down within ${STOP_TIMEOUT_MS} ms; killed it`);
    }
  }

  /** SIGKILL, waits for the process to be gone. */
  async kill(node: NodeName): Promise<void> {
    const st = this.nodes[node];
    if (!this.isRunning(node)) return;
    st.child?.kill('SIGKILL');
    st.frozen = false;
    await this.waitExit(node, 10_000);
  }

  /** Restarts a stopped or killed node with the same datadir, port and options; waits until it accepts connections. */
  async startNode(node: NodeName): Promise<void> {
    if (this.destroying) throw new Error(`${this.label(node)}: pair is destroyed`);
    if (this.isRunning(node)) throw new Error(`${this.label(node)} is already running`);
    await this.spawnAndWait(node, false);
  }

  /** SIGSTOP: the server keeps its sockets open but answers nothing. */
  freeze(node: NodeName): void {
    const st = this.nodes[node];
    if (!this.isRunning(node) || st.child?.pid === undefined) throw new Error(`${this.label(node)} is not running`);
    process.kill(st.child.pid, 'SIGSTOP');
    st.frozen = true;
  }

  /** SIGCONT (no-op when not frozen). */
  thaw(node: NodeName): void {
    const st = this.nodes[node];
    if (!st.frozen) return;
    st.frozen = false;
    if (this.isRunning(node) && st.child?.pid !== undefined) {
      try {
        process.kill(st.child.pid, 'SIGCONT');
      } catch {
        /* gone */
      }
    }
  }

  // ---------------------------------------------------------------- replication

  /** SHOW SLAVE STATUS of `node` (its only, default connection), or undefined if not configured. */
  async slaveStatus(node: NodeName): Promise<Record<string, any> | undefined> {
    const rows = await this.sql(node, 'SHOW SLAVE STATUS');
    return rows[0];
  }

  /**
   * Undoes what a test did to the servers (froze or stopped a node): both
   * nodes running, unfrozen, and replicating both ways. For beforeEach.
   */
  async restore(): Promise<void> {
    for (const n of ['a', 'b'] as const) {
      if (this.isFrozen(n)) this.thaw(n);
      if (!this.isRunning(n)) await this.startNode(n);
    }
    await this.waitReplicationRunning('a');
    await this.waitReplicationRunning('b');
  }

  /**
   * Waits until `node`'s replica I/O and SQL threads both run and
   * Seconds_Behind_Master is 0. Fails early (after 1 s) when the SQL thread
   * has stopped on an error, which does not heal by itself.
   */
  async waitReplicationRunning(node: NodeName, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: Record<string, any> | undefined;
    let lastError: unknown;
    let sqlErrorSince: number | undefined;
    for (;;) {
      try {
        last = await this.slaveStatus(node);
        lastError = undefined;
        if (last && last['Slave_SQL_Running'] === 'No' && Number(last['Last_SQL_Errno']) !== 0) {
          sqlErrorSince ??= Date.now();
          if (Date.now() - sqlErrorSince >= 1000) {
            throw new Error(`${this.label(node)}: replication SQL thread stopped on an error: ${describeStatus(last)}`);
          }
        } else {
          sqlErrorSince = undefined;
        }
        if (
          last &&
          last['Slave_IO_Running'] === 'Yes' &&
          last['Slave_SQL_Running'] === 'Yes' &&
          last['Seconds_Behind_Master'] !== null &&
          Number(last['Seconds_Behind_Master']) === 0
        ) {
          return;
        }
      } catch (e) {
        if (sqlErrorSince !== undefined || !this.isRunning(node) || this.nodes[node].frozen) throw e;
        lastError = e;
      }
      if (Date.now() >= deadline) {
        throw new Error(
          `${this.label(node)}: replication not running after ${timeoutMs} ms: ` + (lastError ? String(lastError) : describeStatus(last)),
        );
      }
      await sleep(POLL_MS * 2);
    }
  }

  /** @@GLOBAL.gtid_binlog_pos of `node`: what its binary log holds (a test that must write nothing compares it). */
  async gtidBinlogPos(node: NodeName): Promise<string> {
    const [row] = await this.sql(node, 'SELECT @@GLOBAL.gtid_binlog_pos AS pos');
    return String(row?.pos);
  }

  /**
   * Waits until `node` has applied everything that its source (the other
   * node) had in its binary log when this was called: for every GTID domain
   * in the source's @@gtid_binlog_pos, node's @@gtid_binlog_pos (which, with
   * log_slave_updates, includes what it applied) has reached the same seq_no.
   */
  async waitCaughtUp(node: NodeName, timeoutMs = 30_000): Promise<void> {
    const source = Pair.other(node);
    const wanted = await this.gtidBinlogPos(source);
    const target = parseGtidPos(wanted);
    const deadline = Date.now() + timeoutMs;
    let sqlErrorSince: number | undefined;
    for (let i = 0; ; i++) {
      if (i % 10 === 9) {
        // A stopped SQL thread will not catch up: fail early instead of at the deadline.
        const st = await this.slaveStatus(node);
        if (st && st['Slave_SQL_Running'] === 'No' && Number(st['Last_SQL_Errno']) !== 0) {
          sqlErrorSince ??= Date.now();
          if (Date.now() - sqlErrorSince >= 1000) {
            throw new Error(`${this.label(node)}: replication SQL thread stopped on an error: ${describeStatus(st)}`);
          }
        } else {
          sqlErrorSince = undefined;
        }
      }
      const pos = await this.gtidBinlogPos(node);
      const have = parseGtidPos(pos);
      let done = true;
      for (const [domain, seq] of target) {
        if ((have.get(domain) ?? -1n) < seq) done = false;
      }
      if (done) return;
      if (Date.now() >= deadline) {
        const status = await this.slaveStatus(node).catch((e) => ({ error: String(e) }));
        throw new Error(
          `${this.label(node)}: not caught up with ${source} after ${timeoutMs} ms: ` +
            `wanted ${wanted}, have ${pos}; ${describeStatus(status)}`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  // ---------------------------------------------------------------- teardown

  /** Stops both servers (SIGKILL after thawing: the data is thrown away) and removes the pair's directory. Safe to call twice. */
  destroy(): Promise<void> {
    if (!this.destroying) {
      this.destroying = (async () => {
        await Promise.all(NODE_NAMES.map((n) => this.kill(n).catch(() => undefined)));
        this.killAllSync();
        livePairs.delete(this);
        fs.rmSync(this.dir, { recursive: true, force: true });
      })();
    }
    return this.destroying;
  }

  /** @internal Synchronous last resort (process 'exit' handler). */
  killAllSync(): void {
    for (const n of NODE_NAMES) {
      const pid = this.nodes[n].child?.pid;
      if (pid === undefined || !this.isRunning(n)) continue;
      try {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  // ---------------------------------------------------------------- internals

  private label(node: NodeName): string {
    return `pair ${this.name} node ${node}`;
  }

  private serverArgs(node: NodeName): string[] {
    const { datadir, port, socket, serverId } = this.nodes[node].info;
    // The demo's options (src/demo/server-process.ts): the same fast, throwaway, loopback-only server.
    const options = demoServerArgs({
      datadir,
      port,
      socket,
      pidFile: path.join(datadir, 'mysqld.pid'),
      errorLog: path.join(datadir, 'error.log'),
      serverId,
      gtidDomainId: serverId,
      runAsRoot: process.getuid?.() === 0,
    });
    return [...options, '--max-connections=200', ...this.extraArgs];
  }

  private async spawnAndWait(node: NodeName, mayChangePort: boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.spawnOnce(node);
        return;
      } catch (e) {
        const bindFailed = /Bind on TCP\/IP port|Address already in use/.test(this.errorLog(node, 40));
        if (!mayChangePort || !bindFailed || attempt >= 4) throw e;
        // Someone took the port between freePort() and the bind: pick another one.
        const info = this.nodes[node].info as { port: number };
        info.port = await freePort();
        fs.appendFileSync(path.join(this.nodes[node].info.datadir, 'error.log'), `\n--- harness: retrying on port ${info.port}\n`);
      }
    }
  }

  private async spawnOnce(node: NodeName): Promise<void> {
    const st = this.nodes[node];
    for (const f of ['mysqld.sock', 'mysqld.sock.lock', 'mysqld.pid']) {
      fs.rmSync(path.join(st.info.datadir, f), { force: true });
    }
    const child = spawn(mariadbdPath(), this.serverArgs(node), {
      detached: true,
      stdio: 'ignore',
      cwd: st.info.datadir,
    });
    child.unref();
    st.child = child;
    st.frozen = false;
    st.exitDescription = undefined;
    st.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        st.exitDescription = signal ? `killed by ${signal}` : `exited with status ${code}`;
        resolve();
      });
      child.once('error', (err) => {
        st.exitDescription = `failed to spawn: ${err.message}`;
        resolve();
      });
    });
    if (child.pid !== undefined) registerPid(child.pid, `mariadbd:${this.name}:${node}`);

    const deadline = Date.now() + START_TIMEOUT_MS;
    let lastError: unknown;
    for (;;) {
      if (st.exitDescription !== undefined) {
        throw new Error(`${this.label(node)} ${st.exitDescription} while starting; error log:\n${this.errorLog(node)}`);
      }
      try {
        const conn = await mysql.createConnection({ socketPath: st.info.socket, user: 'root', password: '', connectTimeout: 5_000 });
        conn.on('error', () => undefined);
        try {
          await conn.query('SELECT 1');
        } finally {
          await closeQuietly(conn);
        }
        return;
      } catch (e) {
        lastError = e;
      }
      if (Date.now() >= deadline) {
        child.kill('SIGKILL');
        await this.waitExit(node, 10_000);
        throw new Error(
          `${this.label(node)} did not accept connections within ${START_TIMEOUT_MS} ms (${String(lastError)}); error log:\n${this.errorLog(node)}`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  private async waitExit(node: NodeName, timeoutMs: number): Promise<boolean> {
    const st = this.nodes[node];
    return st.exited ? settlesWithin(st.exited, timeoutMs) : true;
  }

  private async createUsers(node: NodeName): Promise<void> {
    await this.withConnection(node, async (conn) => {
      await conn.query('SET SESSION sql_log_bin = 0');
      for (const host of ['127.0.0.1', 'localhost']) {
        await conn.query('CREATE USER ?@? IDENTIFIED BY ?', [REPL_USER, host, REPL_PASSWORD]);
        await conn.query('GRANT REPLICATION SLAVE ON *.* TO ?@?', [REPL_USER, host]);
        await conn.query('CREATE USER ?@? IDENTIFIED BY ?', [MONITOR_USER, host, MONITOR_PASSWORD]);
        await conn.query(`GRANT ${MONITOR_GLOBAL_PRIVILEGES.join(', ')} ON *.* TO ?@?`, [MONITOR_USER, host]);
        for (const schema of MONITOR_SCHEMAS) {
          await conn.query(`GRANT SELECT, INSERT, UPDATE ON \`${schema}\`.* TO ?@?`, [MONITOR_USER, host]);
        }
      }
    });
  }

  /** Configures `node` to replicate from the other node again (after a RESET SLAVE ALL) and waits until it runs. */
  async restoreReplication(node: NodeName): Promise<void> {
    await this.configureReplica(node);
    await this.waitReplicationRunning(node);
  }

  private async configureReplica(node: NodeName): Promise<void> {
    const source = this.nodes[Pair.other(node)].info;
    await this.withConnection(node, async (conn) => {
      await conn.query(
        'CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?, ' +
          'MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1, MASTER_HEARTBEAT_PERIOD = 1',
        ['127.0.0.1', source.port, REPL_USER, REPL_PASSWORD],
      );
      await conn.query('START SLAVE');
    });
  }
}

/**
 * COM_QUIT and close (a bare destroy() makes the server log "Aborted
 * connection ... Got an error reading communication packets"); gives up
 * waiting after a second.
 */
async function closeQuietly(conn: mysql.Connection): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([conn.end(), new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
  } catch {
    /* already broken */
  } finally {
    clearTimeout(timer);
    conn.destroy();
  }
}

function describeStatus(s: Record<string, any> | undefined): string {
  if (!s) return 'no replica configured';
  if ('error' in s && Object.keys(s).length === 1) return String(s['error']);
  const keys = [
    'Slave_IO_Running',
    'Slave_SQL_Running',
    'Seconds_Behind_Master',
    'Last_IO_Errno',
    'Last_IO_Error',
    'Last_SQL_Errno',
    'Last_SQL_Error',
    'Gtid_IO_Pos',
    'Using_Gtid',
  ];
  return keys.map((k) => `${k}=${JSON.stringify(s[k])}`).join(' ');
}
