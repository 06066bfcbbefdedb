/**
 * One mariadbd of the demo pair as a plain process on 127.0.0.1: its
 * options, start, clean stop, kill, freeze and thaw, all bounded.
 *
 * The server runs detached (own session and process group, stdout and
 * stderr to a file, not a pipe to us): a Ctrl-C at the terminal does not
 * reach it, the demo's teardown decides; and `--keep` can leave it running
 * after the demo process has exited.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { CheckError } from '../core/errors';
import { waitAccepting, type AdminEndpoint } from './admin-session';
import { isGone, signalQuietly } from './process-table';
import { settlesWithin } from './settles-within';

export interface ServerConfig {
  /** For messages: "node a". */
  label: string;
  mariadbd: string;
  datadir: string;
  port: number;
  socket: string;
  pidFile: string;
  errorLog: string;
  /** mariadbd's stdout and stderr (before --log-error takes over, and anything it prints there). */
  outputLog: string;
  /** Scratch files (sorts, temporary tables): inside the demo directory, so nothing is left elsewhere. */
  tmpdir?: string;
  serverId: number;
  /** Also its gtid_domain_id: a distinct domain per node keeps two-way GTID replication apart. */
  gtidDomainId: number;
  /** mariadbd refuses to run as root unless told to, with --user=root. */
  runAsRoot: boolean;
}

/**
 * Must agree with the sizing the data directory was initialised with: a
 * different redo log size would make every start resize the log. Small,
 * because the demo holds a few rows and shares the machine.
 */
export const INNODB_SIZING_ARGS: readonly string[] = [
  '--innodb-log-file-size=4M',
  '--innodb-buffer-pool-size=32M',
  '--performance-schema=OFF',
];

/** Seconds; a replica notices a silent (frozen) source after this long, not the default minute. */
export const SLAVE_NET_TIMEOUT_S = 3;

/** What the options depend on (the test harness starts its servers with these options too). */
export type ServerOptionsConfig = Pick<
  ServerConfig,
  'datadir' | 'port' | 'socket' | 'pidFile' | 'errorLog' | 'tmpdir' | 'serverId' | 'gtidDomainId' | 'runAsRoot'
>;

export function serverArgs(c: ServerOptionsConfig): string[] {
  return [
    '--no-defaults',
    `--datadir=${c.datadir}`,
    `--port=${c.port}`,
    '--bind-address=127.0.0.1',
    `--socket=${c.socket}`,
    `--pid-file=${c.pidFile}`,
    `--log-error=${c.errorLog}`,
    ...(c.tmpdir !== undefined ? [`--tmpdir=${c.tmpdir}`] : []),
    `--server-id=${c.serverId}`,
    `--gtid-domain-id=${c.gtidDomainId}`,
    '--log-bin=mysql-bin',
    '--relay-log=relay-bin',
    '--log-slave-updates',
    '--binlog-format=ROW',
    '--auto-increment-increment=2',
    `--auto-increment-offset=${c.serverId}`,
    `--slave-net-timeout=${SLAVE_NET_TIMEOUT_S}`,
    '--report-host=127.0.0.1',
    `--report-port=${c.port}`,
    // Accounts are '...'@'127.0.0.1': no reverse DNS on connect, which can stall on a machine without DNS.
    '--skip-name-resolve',
    ...(c.runAsRoot ? ['--user=root'] : []),
    ...INNODB_SIZING_ARGS,
    // Throwaway data: trade durability for a fast start, writes and shutdown.
    '--innodb-flush-log-at-trx-commit=2',
    '--innodb-doublewrite=0',
    '--innodb-buffer-pool-dump-at-shutdown=OFF',
    '--innodb-buffer-pool-load-at-startup=OFF',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_general_ci',
  ];
}

/** Start-up includes InnoDB crash recovery after a kill; on a busy two-core machine that can take a while. */
export const START_TIMEOUT_MS = 60_000;
/** A clean shutdown of a small server takes about a second; past this it is killed. */
export const STOP_GRACE_MS = 20_000;
const EXIT_WAIT_MS = 10_000;

export type StopOutcome = 'stopped' | 'killed' | 'not-running';

export class ServerProcess {
  readonly config: ServerConfig;
  private readonly admin: AdminEndpoint;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private exitDescription: string | undefined = 'never started';
  private frozen = false;

  constructor(config: ServerConfig, adminUser: string) {
    this.config = config;
    this.admin = { socket: config.socket, user: adminUser };
  }

  get running(): boolean {
    return this.child !== undefined && this.exitDescription === undefined;
  }

  get isFrozen(): boolean {
    return this.frozen && this.running;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** Why the process is not running ("exited with status 1", "killed by SIGKILL"), or undefined while it runs. */
  get exitReason(): string | undefined {
    return this.exitDescription;
  }

  /** Spawns mariadbd and waits until it accepts connections on its socket. */
  async start(timeoutMs = START_TIMEOUT_MS): Promise<void> {
    if (this.running) throw new CheckError('INTERNAL', `${this.config.label} is already running`);
    for (const stale of [this.config.socket, `${this.config.socket}.lock`, this.config.pidFile]) {
      fs.rmSync(stale, { force: true });
    }
    const out = fs.openSync(this.config.outputLog, 'a', 0o600);
    let child: ChildProcess;
    try {
      child = spawn(this.config.mariadbd, serverArgs(this.config), {
        detached: true,
        stdio: ['ignore', out, out],
        cwd: this.config.datadir,
      });
    } finally {
      fs.closeSync(out);
    }
    // Never keep the demo process alive for the server's sake: teardown is explicit.
    child.unref();
    this.child = child;
    this.frozen = false;
    this.exitDescription = undefined;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitDescription = signal ? `was killed by ${signal}` : `exited with status ${code}`;
        resolve();
      });
      child.once('error', (err) => {
        this.exitDescription = `could not be started (${err.message})`;
        resolve();
      });
    });
    try {
      await waitAccepting(this.admin, timeoutMs, this.config.label, () => this.exitDescription);
    } catch (e) {
      this.killSync();
      await this.waitExit(EXIT_WAIT_MS);
      throw new CheckError(
        e instanceof CheckError ? e.code : 'INTERNAL',
        `${(e as Error).message}; its error log ${this.config.errorLog} ends:\n${this.errorLogTail()}`,
        { cause: e },
      );
    }
  }

  /** Clean shutdown (SIGTERM, thawing first); SIGKILL when it takes longer than `graceMs`. */
  async stop(graceMs = STOP_GRACE_MS): Promise<StopOutcome> {
    const pid = this.pid;
    if (pid === undefined) return 'not-running';
    this.thaw();
    signalQuietly(pid, 'SIGTERM');
    if (await this.waitExit(graceMs)) return 'stopped';
    signalQuietly(pid, 'SIGKILL');
    if (!(await this.waitExit(EXIT_WAIT_MS))) {
      throw new CheckError('TIMEOUT', `${this.config.label} (pid ${pid}) survived SIGKILL for ${EXIT_WAIT_MS / 1000} s`);
    }
    return 'killed';
  }

  /** SIGKILL, as a crash or a pulled plug; waits until the process is gone. */
  async kill(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    signalQuietly(pid, 'SIGKILL');
    this.frozen = false;
    if (!(await this.waitExit(EXIT_WAIT_MS))) {
      throw new CheckError('TIMEOUT', `${this.config.label} (pid ${pid}) survived SIGKILL for ${EXIT_WAIT_MS / 1000} s`);
    }
  }

  /** SIGSTOP: the server keeps its sockets open and answers nothing, like a hung machine. */
  freeze(): void {
    const pid = this.pid;
    if (pid === undefined) throw new CheckError('INTERNAL', `${this.config.label} is not running (${this.exitDescription})`);
    process.kill(pid, 'SIGSTOP');
    this.frozen = true;
  }

  /** SIGCONT; nothing when not frozen. */
  thaw(): void {
    if (!this.frozen) return;
    this.frozen = false;
    const pid = this.pid;
    if (pid !== undefined) signalQuietly(pid, 'SIGCONT');
  }

  /** Last resort, for exit and signal handlers: no waiting, no event loop needed. */
  killSync(): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.exitDescription !== undefined || isGone(pid)) return;
    signalQuietly(pid, 'SIGCONT');
    signalQuietly(pid, 'SIGKILL');
  }

  /** Forgets the process without stopping it (--keep): no later call signals it. */
  detach(): void {
    this.child = undefined;
    this.exitDescription = 'kept running, detached from this process';
  }

  errorLogTail(lines = 20): string {
    try {
      return fs.readFileSync(this.config.errorLog, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no error log)';
    }
  }

  private waitExit(ms: number): Promise<boolean> {
    return settlesWithin(this.exited, ms);
  }
}
