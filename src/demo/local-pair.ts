/**
 * The throwaway MariaDB master-master pair behind `mysql-failover-check demo`:
 * started from shipped code on 127.0.0.1, driven step by step by the demo's
 * walk, and always torn down.
 *
 *   const pair = await startLocalPair({ onStep: (t) => console.log(t) });
 *   try { ...pair.kill('a'); await pair.start('a'); ... } finally { await pair.destroy(); }
 *
 * What start does (a few seconds): one data directory initialised with
 * mariadb-install-db and copied for the second node, two mariadbd on free
 * ports replicating both ways with GTIDs, the accounts, the heartbeat table
 * created by the project's setup, and one option file per node for the
 * executables. Everything lives in one directory (mkdtemp, mode 0700) under
 * os.tmpdir(); nothing touches a system MariaDB, /run/mysqld or port 3306.
 *
 * Teardown, whatever happens: destroy() stops both servers (SIGTERM, SIGKILL
 * after a bound) and removes the directory; until then the end of the
 * process, an uncaught error, SIGINT, SIGTERM and SIGHUP tear down too
 * (teardown-guard.ts). keep() instead leaves the servers running for
 * stopKept() (kept-pair.ts) to stop later.
 *
 * Nothing here prints: progress goes to onStep, for the walk to show.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckError } from '../core/errors';
import { adminQuery, withAdminSession, type AdminEndpoint, type Row } from './admin-session';
import { DEMO_NODES, otherNode, serverIdOf, type DemoNode } from './demo-node';
import { freePort, portIsFree } from './free-port';
import { defaultPointerFile, DIR_PREFIX, findKept, writeKept, type KeptNode, type KeptState } from './kept-pair';
import { nodeOptionFileText } from './node-option-file';
import { applyGrants, createAccounts, HEARTBEAT_TABLE, MONITOR_USER, newPassword, REPL_USER, setUpHeartbeat } from './pair-accounts';
import { pidsWithArgument, processStartTime, signalQuietly, waitGoneSync } from './process-table';
import {
  CHANGE_MASTER_SQL,
  describeReplica,
  hasReached,
  isReplicating,
  parseGtidPos,
  replicaState,
  sqlThreadFailed,
  type ReplicaState,
} from './replication';
import { describeRun, runProgram } from './run-program';
import { ensureServerPrograms, type ServerPrograms } from './server-programs';
import { INNODB_SIZING_ARGS, ServerProcess, type StopOutcome } from './server-process';
import { DEMO_TABLE_SQL, slowWriteSql } from './slow-write';
import { guardUntilReleased } from './teardown-guard';

export type { DemoNode, ReplicaState, StopOutcome };
export { DEMO_NODES, otherNode };

export interface LocalPairOptions {
  /** Progress for people ("starting node a ..."); never holds a password. */
  onStep?: (text: string) => void;
  /** apt-get's output while MariaDB is being installed (root only). */
  onOutput?: (text: string) => void;
  /** Where the pair's directory is created; os.tmpdir() unless given. */
  parentDir?: string;
  /** The MariaDB programs; found (and as root installed) unless given. */
  programs?: ServerPrograms;
  /** More [mysql-failover-check] options per node option file (see writeOptionFile). */
  optionFileExtras?: Partial<Record<DemoNode, Readonly<Record<string, string>>>>;
}

export interface DemoNodeInfo {
  name: DemoNode;
  host: '127.0.0.1';
  port: number;
  /** Unix socket: the administrator (the OS user running the demo) logs in here without a password. */
  socket: string;
  datadir: string;
  /** Also its gtid_domain_id and auto_increment_offset. */
  serverId: number;
  /** For the executables: --defaults-file=<this>. Mode 0600: it holds the monitor password. */
  optionFile: string;
  /** log-file in the option file. */
  logFile: string;
  /** maintenance-file in the option file: create it to drain the node. */
  maintenanceFile: string;
  /** A path reserved for the node's failover state file, for the walk to name in optionFileExtras. */
  stateFile: string;
  /** The server's error log. */
  errorLog: string;
}

/** A kept pair, as keep() leaves it. */
export interface KeptPair extends KeptState {
  pointerFile: string;
}

/** Each step bounds its own waits; these are the defaults of the driving calls. */
const SQL_TIMEOUT_MS = 10_000;
const WAIT_TIMEOUT_MS = 30_000;
const INIT_TIMEOUT_MS = 120_000;
const DESTROY_GRACE_MS = 10_000;
const TEARDOWN_WAIT_MS = 5_000;
const POLL_MS = 50;
/** A SQL thread stopped on an error this long is not a blip. */
const SQL_ERROR_PATIENCE_MS = 1_000;
/** Unix socket paths are limited to 108 bytes. */
const MAX_SOCKET_PATH = 100;

/** Stands for the monitor password wherever an option file is shown rather than written. */
const PASSWORD_SHOWN = '(not shown)';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Phase = 'live' | 'destroyed' | 'kept';

export class LocalPair {
  readonly dir: string;
  /** The account the option files log in with. */
  readonly monitorUser = MONITOR_USER;
  readonly heartbeatTable = HEARTBEAT_TABLE;
  /** The OS user running the demo, and its MariaDB account over the unix socket. */
  readonly adminUser: string;
  /** How long startLocalPair took, installing aside (ms). */
  startupMs = 0;

  private readonly servers: Record<DemoNode, ServerProcess>;
  private readonly files: Record<DemoNode, Omit<DemoNodeInfo, 'port' | 'host' | 'name' | 'serverId' | 'socket' | 'datadir' | 'errorLog'>>;
  private readonly extras: Record<DemoNode, Readonly<Record<string, string>>>;
  private readonly monitorPassword = newPassword();
  private readonly replPassword = newPassword();
  /** Process groups of helper programs still running (mariadb-install-db and the server it bootstraps). */
  private readonly helperGroups = new Set<number>();
  private readonly releaseGuard: () => void;
  private phase: Phase = 'live';
  private destroying: Promise<void> | undefined;

  /** @internal use startLocalPair */
  constructor(dir: string, programs: ServerPrograms, ports: Record<DemoNode, number>, opts: LocalPairOptions) {
    this.dir = dir;
    this.adminUser = os.userInfo().username;
    const runAsRoot = process.getuid?.() === 0;
    const mk = (n: DemoNode): ServerProcess =>
      new ServerProcess(
        {
          label: `node ${n}`,
          mariadbd: programs.mariadbd,
          datadir: path.join(dir, n),
          port: ports[n],
          socket: path.join(dir, `${n}.sock`),
          pidFile: path.join(dir, `${n}.pid`),
          errorLog: path.join(dir, `${n}-error.log`),
          outputLog: path.join(dir, `${n}-output.log`),
          tmpdir: path.join(dir, 'tmp'),
          serverId: serverIdOf(n),
          gtidDomainId: serverIdOf(n),
          runAsRoot,
        },
        this.adminUser,
      );
    this.servers = { a: mk('a'), b: mk('b') };
    const filesOf = (n: DemoNode) => ({
      optionFile: path.join(dir, `node-${n}.cnf`),
      logFile: path.join(dir, `node-${n}.log`),
      maintenanceFile: path.join(dir, `node-${n}.maintenance`),
      stateFile: path.join(dir, `node-${n}.state`),
    });
    this.files = { a: filesOf('a'), b: filesOf('b') };
    this.extras = { a: opts.optionFileExtras?.a ?? {}, b: opts.optionFileExtras?.b ?? {} };
    // First thing, before anything can be left behind.
    this.releaseGuard = guardUntilReleased(() => this.teardownSync());
  }

  node(n: DemoNode): DemoNodeInfo {
    const c = this.servers[n].config;
    return {
      name: n,
      host: '127.0.0.1',
      port: c.port,
      socket: c.socket,
      datadir: c.datadir,
      serverId: c.serverId,
      errorLog: c.errorLog,
      ...this.files[n],
    };
  }

  isRunning(n: DemoNode): boolean {
    return this.servers[n].running;
  }

  isFrozen(n: DemoNode): boolean {
    return this.servers[n].isFrozen;
  }

  pid(n: DemoNode): number | undefined {
    return this.servers[n].pid;
  }

  // ------------------------------------------------------------ processes

  /** Clean shutdown (SIGTERM); SIGKILL if it takes longer than the bound. */
  async stop(n: DemoNode): Promise<StopOutcome> {
    this.assertLive();
    return this.servers[n].stop();
  }

  /** SIGKILL: a crash. */
  async kill(n: DemoNode): Promise<void> {
    this.assertLive();
    return this.servers[n].kill();
  }

  /** Starts a stopped or killed node again, same data directory and port; resolves once it accepts connections. */
  async start(n: DemoNode): Promise<void> {
    this.assertLive();
    return this.servers[n].start();
  }

  /** SIGSTOP: sockets stay open, nothing answers (a hung server). */
  freeze(n: DemoNode): void {
    this.assertLive();
    this.servers[n].freeze();
  }

  /** SIGCONT. */
  thaw(n: DemoNode): void {
    this.servers[n].thaw();
  }

  // ------------------------------------------------------------ SQL

  /** One statement as the administrator over the node's socket, in a session of its own; the rows. */
  async sql(n: DemoNode, text: string, params: readonly unknown[] = [], timeoutMs = SQL_TIMEOUT_MS): Promise<Row[]> {
    return adminQuery(this.admin(n), text, params, timeoutMs, `node ${n}`);
  }

  /** The node's replica side (SHOW SLAVE STATUS), undefined when it has none. */
  async replicaState(n: DemoNode): Promise<ReplicaState | undefined> {
    const [row] = await this.sql(n, 'SHOW SLAVE STATUS');
    return replicaState(row);
  }

  /** Seconds_Behind_Master of the node; null when the server reports NULL (or has no replica). */
  async replicationLag(n: DemoNode): Promise<number | null> {
    return (await this.replicaState(n))?.lagSeconds ?? null;
  }

  /** Waits until the node's replication I/O and SQL threads both run. */
  async waitReplicationRunning(n: DemoNode, timeoutMs = WAIT_TIMEOUT_MS): Promise<void> {
    const end = Date.now() + timeoutMs;
    let last: ReplicaState | undefined;
    let failedSince: number | undefined;
    for (;;) {
      last = await this.replicaState(n);
      if (isReplicating(last)) return;
      failedSince = sqlThreadFailed(last) ? (failedSince ?? Date.now()) : undefined;
      if (failedSince !== undefined && Date.now() - failedSince >= SQL_ERROR_PATIENCE_MS) {
        throw new CheckError('QUERY_FAILED', `node ${n}: replication stopped on an error: ${describeReplica(last)}`);
      }
      if (Date.now() >= end) {
        throw new CheckError('TIMEOUT', `node ${n}: replication not running after ${timeoutMs / 1000} s: ${describeReplica(last)}`);
      }
      await sleep(POLL_MS * 2);
    }
  }

  /**
   * Waits until the node has applied everything its source (the other node)
   * had in its binary log when this was called, by GTID position.
   */
  async waitCaughtUp(n: DemoNode, timeoutMs = WAIT_TIMEOUT_MS): Promise<void> {
    const end = Date.now() + timeoutMs;
    const target = parseGtidPos(await this.binlogPos(otherNode(n)));
    let failedSince: number | undefined;
    for (let i = 1; ; i++) {
      if (hasReached(target, parseGtidPos(await this.binlogPos(n)))) return;
      if (i % 10 === 0) {
        const st = await this.replicaState(n);
        failedSince = sqlThreadFailed(st) ? (failedSince ?? Date.now()) : undefined;
        if (failedSince !== undefined && Date.now() - failedSince >= SQL_ERROR_PATIENCE_MS) {
          throw new CheckError('QUERY_FAILED', `node ${n}: replication stopped on an error: ${describeReplica(st)}`);
        }
      }
      if (Date.now() >= end) {
        const st = await this.replicaState(n).catch(() => undefined);
        throw new CheckError(
          'TIMEOUT',
          `node ${n}: not caught up with node ${otherNode(n)} after ${timeoutMs / 1000} s: ${describeReplica(st)}`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  /**
   * Real lag for node `n` (see slow-write.ts): writes one row on the other
   * node that `n`'s replication SQL thread spends `seconds` applying; its
   * Seconds_Behind_Master then climbs for that long (starting at the outage's
   * length when `n` is down now) and drops to 0 once the row is applied.
   * Returns the statement, for the walk to show.
   */
  async slowWrite(n: DemoNode, seconds: number): Promise<string> {
    this.assertLive();
    const source = otherNode(n);
    const statement = slowWriteSql(source, serverIdOf(n), seconds);
    await withAdminSession(this.admin(source), SQL_TIMEOUT_MS, `node ${source}`, async (s, d) => {
      // Row format would carry the row, not the expression that sleeps.
      await s.execute("SET SESSION binlog_format = 'STATEMENT'", [], d);
      await s.execute(statement, [], d);
    });
    return statement;
  }

  // ------------------------------------------------------------ option files

  /**
   * (Re)writes the node's option file (mode 0600) with these extra
   * [mysql-failover-check] options, replacing earlier extras, e.g.
   * { 'state-file': pair.node('a').stateFile, failback: 'manual' }.
   */
  writeOptionFile(n: DemoNode, extra: Readonly<Record<string, string>> = this.extras[n]): void {
    this.extras[n] = extra;
    const f = this.files[n];
    const tmp = `${f.optionFile}.tmp`;
    fs.writeFileSync(tmp, this.optionFileText(n, this.monitorPassword), { mode: 0o600 });
    fs.renameSync(tmp, f.optionFile);
  }

  /** The node's option file as last written, with the password left out: for people (demo --keep prints it). */
  optionFileShown(n: DemoNode): string {
    return this.optionFileText(n, PASSWORD_SHOWN);
  }

  // ------------------------------------------------------------ teardown

  /** Stops both servers (SIGTERM, SIGKILL after a bound) and removes the directory. Safe to call twice. */
  destroy(): Promise<void> {
    if (this.phase === 'kept') return Promise.resolve();
    this.destroying ??= (async () => {
      this.phase = 'destroyed';
      await Promise.all(
        DEMO_NODES.map((n) =>
          this.servers[n].stop(DESTROY_GRACE_MS).catch(() => {
            this.servers[n].killSync();
          }),
        ),
      );
      this.teardownSync();
    })();
    return this.destroying;
  }

  /**
   * Leaves the pair running after this process exits: writes `kept.json` in
   * the directory and the pointer file, and stops guarding. Refuses while
   * another kept pair runs (one pointer per user). The object is done after.
   */
  keep(pointerFile: string = defaultPointerFile()): KeptPair {
    this.assertLive();
    const other = findKept(pointerFile);
    if (other !== undefined && other.state.dir !== this.dir) {
      throw new CheckError(
        'USAGE',
        `another kept demo pair runs in ${other.state.dir} (pids ${other.running.join(', ')}); stop it first (demo --stop)`,
      );
    }
    const nodes: Partial<Record<DemoNode, KeptNode>> = {};
    for (const n of DEMO_NODES) {
      const server = this.servers[n];
      server.thaw();
      const pid = server.pid;
      const startTime = pid === undefined ? undefined : processStartTime(pid);
      if (pid === undefined || startTime === undefined) continue;
      const info = this.node(n);
      nodes[n] = { pid, startTime, port: info.port, socket: info.socket, datadir: info.datadir, optionFile: info.optionFile };
    }
    const state: KeptState = { format: 'mysql-failover-check demo pair', dir: this.dir, keptAt: new Date().toISOString(), nodes };
    writeKept(state, pointerFile);
    this.phase = 'kept';
    for (const n of DEMO_NODES) this.servers[n].detach();
    this.releaseGuard();
    return { ...state, pointerFile };
  }

  /**
   * Synchronous (exit and signal handlers): SIGKILL everything of the pair,
   * wait a bounded moment for it to be gone, remove the directory.
   */
  private teardownSync(): void {
    if (this.phase === 'kept') return;
    this.phase = 'destroyed';
    for (const group of this.helperGroups) signalQuietly(-group, 'SIGKILL');
    for (const n of DEMO_NODES) this.servers[n].killSync();
    // Belt and braces: any process started for one of the pair's data directories.
    const strays = pidsWithArgument(`--datadir=${this.dir}${path.sep}`);
    for (const pid of strays) {
      signalQuietly(pid, 'SIGCONT');
      signalQuietly(pid, 'SIGKILL');
    }
    const pids = [...strays, ...DEMO_NODES.flatMap((n) => this.servers[n].pid ?? [])];
    waitGoneSync(pids, TEARDOWN_WAIT_MS);
    try {
      fs.rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
    } finally {
      this.releaseGuard();
    }
  }

  // ------------------------------------------------------------ start (startLocalPair)

  /** @internal */
  async setUp(programs: ServerPrograms, step: (text: string) => void): Promise<void> {
    const [a, b] = [this.servers.a.config, this.servers.b.config];
    if (Buffer.byteLength(a.socket) > MAX_SOCKET_PATH) {
      throw new CheckError('USAGE', `the socket path ${a.socket} is too long for a unix socket; set TMPDIR to a shorter directory`);
    }
    fs.mkdirSync(path.join(this.dir, 'tmp'), { mode: 0o700 });

    step('initialising a data directory (mariadb-install-db)');
    await this.initDatadir(programs.installDb, a.datadir);
    step('copying it for node b');
    fs.cpSync(a.datadir, b.datadir, { recursive: true });

    step(`starting node a (127.0.0.1:${a.port}) and node b (127.0.0.1:${b.port})`);
    await Promise.all(DEMO_NODES.map((n) => this.firstStart(n)));

    step(`creating the accounts ${REPL_USER} (replication) and ${MONITOR_USER} (monitor) on both nodes`);
    await Promise.all(DEMO_NODES.map((n) => createAccounts(this.admin(n), this.replPassword, this.monitorPassword, `node ${n}`)));

    step('replicating both ways: a from b, b from a (GTID, slave_pos)');
    await Promise.all(DEMO_NODES.map((n) => this.replicateFromOther(n)));

    step(`creating the heartbeat table ${this.heartbeatTable} with setup, on node a`);
    const grants = await setUpHeartbeat(this.admin('a'));
    for (const statement of DEMO_TABLE_SQL) await this.sql('a', statement);
    await this.waitCaughtUp('b');

    step(`granting ${MONITOR_USER} what setup prints: ${grants.join('; ')}`);
    await Promise.all(DEMO_NODES.map((n) => applyGrants(this.admin(n), grants, `node ${n}`)));

    step('waiting until both nodes replicate');
    for (const n of DEMO_NODES) await this.waitReplicationRunning(n);
    for (const n of DEMO_NODES) await this.waitCaughtUp(n);

    step('writing the option files node-a.cnf and node-b.cnf');
    for (const n of DEMO_NODES) this.writeOptionFile(n);
  }

  private async initDatadir(installDb: string, datadir: string): Promise<void> {
    const log = path.join(this.dir, 'install-db.log');
    const args = [
      '--no-defaults',
      `--datadir=${datadir}`,
      ...(process.getuid?.() === 0 ? ['--user=root'] : []),
      // The account of the OS user running the demo, authenticated by the socket: no administrator password exists.
      '--auth-root-authentication-method=socket',
      `--auth-root-socket-user=${this.adminUser}`,
      '--skip-test-db',
      ...INNODB_SIZING_ARGS,
    ];
    let group: number | undefined;
    const r = await runProgram(installDb, args, {
      timeoutMs: INIT_TIMEOUT_MS,
      detached: true,
      onSpawn: (pid) => {
        group = pid;
        this.helperGroups.add(pid);
      },
      onOutput: (text) => fs.appendFileSync(log, text, { mode: 0o600 }),
    });
    if (group !== undefined) this.helperGroups.delete(group);
    if (r.status !== 0) {
      throw new CheckError(
        'INTERNAL',
        `mariadb-install-db ${describeRun(r, INIT_TIMEOUT_MS)}; its output ends:\n${r.outputTail.trimEnd()}`,
      );
    }
  }

  /** The first start may find its port taken since freePort handed it out: then once more elsewhere. */
  private async firstStart(n: DemoNode): Promise<void> {
    const server = this.servers[n];
    for (let attempt = 1; ; attempt++) {
      try {
        await server.start();
        return;
      } catch (e) {
        const port = server.config.port;
        if (attempt >= 3 || (await portIsFree(port))) throw e;
        server.config.port = await freePort(DEMO_NODES.map((m) => this.servers[m].config.port));
      }
    }
  }

  private async replicateFromOther(n: DemoNode): Promise<void> {
    const source = this.servers[otherNode(n)].config;
    await withAdminSession(this.admin(n), SQL_TIMEOUT_MS, `node ${n}`, async (s, d) => {
      await s.execute(CHANGE_MASTER_SQL, ['127.0.0.1', source.port, REPL_USER, this.replPassword], d);
      await s.execute('START SLAVE', [], d);
    });
  }

  private optionFileText(n: DemoNode, password: string): string {
    const f = this.files[n];
    return nodeOptionFileText({
      label: `node ${n}`,
      user: this.monitorUser,
      password,
      port: this.servers[n].config.port,
      peerPort: this.servers[otherNode(n)].config.port,
      table: this.heartbeatTable,
      logFile: f.logFile,
      maintenanceFile: f.maintenanceFile,
      extra: this.extras[n],
    });
  }

  private async binlogPos(n: DemoNode): Promise<string> {
    const [row] = await this.sql(n, 'SELECT @@GLOBAL.gtid_binlog_pos AS pos');
    return String(row?.['pos'] ?? '');
  }

  private admin(n: DemoNode): AdminEndpoint {
    const server = this.servers[n];
    if (this.phase !== 'live') throw new CheckError('INTERNAL', `the demo pair is ${this.phase}`);
    if (server.isFrozen) throw new CheckError('INTERNAL', `node ${n} is frozen; thaw it before running SQL on it`);
    if (!server.running) throw new CheckError('CONNECT_FAILED', `node ${n} is not running (it ${server.exitReason})`);
    return { socket: server.config.socket, user: this.adminUser };
  }

  private assertLive(): void {
    if (this.phase !== 'live') throw new CheckError('INTERNAL', `the demo pair is ${this.phase}`);
  }
}

/**
 * Starts the pair (see the top of this file). On any failure, and on a
 * signal meanwhile, everything started so far is torn down.
 */
export async function startLocalPair(opts: LocalPairOptions = {}): Promise<LocalPair> {
  const step = (text: string): void => opts.onStep?.(text);
  const programs = opts.programs ?? (await ensureServerPrograms({ onStep: step, ...(opts.onOutput ? { onOutput: opts.onOutput } : {}) }));
  const started = Date.now();
  const ports = { a: await freePort(), b: 0 };
  ports.b = await freePort([ports.a]);
  // mkdtemp creates the directory with mode 0700: the option files inside hold a password.
  const dir = fs.mkdtempSync(path.join(opts.parentDir ?? os.tmpdir(), DIR_PREFIX));
  const pair = new LocalPair(dir, programs, ports, opts);
  try {
    step(`working directory ${dir}`);
    await pair.setUp(programs, step);
  } catch (e) {
    await pair.destroy();
    throw e;
  }
  pair.startupMs = Date.now() - started;
  return pair;
}
