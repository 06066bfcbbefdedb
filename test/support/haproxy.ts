/**
 * A real HAProxy (the Debian package) for end-to-end tests: started in the
 * foreground (-db) as a child of the test with a configuration written to a
 * temporary directory, an admin stats socket beside it, and killed by
 * `stop()` (call it from `after()`); its pid is registered so that
 * scripts/test.js kills it too if the test process dies.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { findExecutable, makeTempDir, registerPid } from './run-dir';

export function haproxyPath(): string {
  const p = findExecutable('haproxy');
  if (!p) {
    throw new Error('haproxy not found; install it with: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y haproxy');
  }
  return p;
}

/** Runs `haproxy -c -f file`: whether the configuration is valid, and what HAProxy said. */
export function checkConfig(file: string): { ok: boolean; output: string } {
  const r = spawnSync(haproxyPath(), ['-c', '-f', file], { encoding: 'utf8', timeout: 30_000 });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** What a runtime-API test's HAProxy has beside its admin stats socket: see runtimeApiConfig. */
export interface RuntimeApiFiles {
  /** A second stats socket at level user, to prove a push needs admin. */
  userSocket: string;
  /** The server-state file HAProxy loads at start (`load-server-state-from-file global`). */
  stateFile: string;
}

/**
 * A TCP backend `mysql` for the runtime-API tests: the admin stats socket
 * HAProxy.start() names, a user-level socket and a server-state file beside
 * it, and (with `tcpAdminPort`) an admin socket on loopback TCP. `servers`
 * are the backend's lines after `server `, e.g. `a 127.0.0.1:3306`.
 */
export function runtimeApiConfig(
  statsSocket: string,
  servers: readonly string[],
  tcpAdminPort?: number,
): { config: string; files: RuntimeApiFiles } {
  const dir = path.dirname(statsSocket);
  const files = { userSocket: path.join(dir, 'user.sock'), stateFile: path.join(dir, 'server-state') };
  const tcpAdmin = tcpAdminPort === undefined ? '' : `\n    stats socket 127.0.0.1:${tcpAdminPort} level admin`;
  const config = `
global
    stats socket ${statsSocket} mode 600 level admin
    stats socket ${files.userSocket} mode 600 level user${tcpAdmin}
    server-state-file ${files.stateFile}
    maxconn 64

defaults
    mode tcp
    timeout connect 2s
    timeout client 1m
    timeout server 1m
    load-server-state-from-file global

backend mysql
${servers.map((s) => `    server ${s}\n`).join('')}`;
  return { config, files };
}

export interface ExampleServer {
  /** HOST:PORT of the database server. */
  address: string;
  /** Where mysql-failover-http listens (`check port`). */
  checkPort: number;
  /** Where mysql-failover-agent listens (`agent-port`). */
  agentPort: number;
}

/**
 * A minimal TCP listener for the pair with `option httpchk` (and agent-check
 * where a server has an agent port): primary first, secondary as backup.
 */
export function httpchkConfig(o: {
  statsSocket: string;
  bind: string;
  inter: string;
  primary: { address: string; checkPort: number; agentPort?: number };
  secondary: { address: string; checkPort: number; agentPort?: number };
}): string {
  const agent = (x: { agentPort?: number }): string => (x.agentPort === undefined ? '' : ` agent-check agent-port ${x.agentPort}`);
  const agentInter = o.primary.agentPort !== undefined || o.secondary.agentPort !== undefined ? ` agent-inter ${o.inter}` : '';
  return `
global
    stats socket ${o.statsSocket} mode 600 level admin
    maxconn 256

defaults
    mode tcp
    timeout connect 2s
    timeout client 1m
    timeout server 1m
    timeout check 3s

listen mysql
    bind ${o.bind}
    mode tcp
    option httpchk
    default-server inter ${o.inter} fall 2 rise 2${agentInter}
    server primary ${o.primary.address} check port ${o.primary.checkPort}${agent(o.primary)}
    server secondary ${o.secondary.address} check port ${o.secondary.checkPort}${agent(o.secondary)} backup
`;
}

/**
 * The shipped example configuration (services/haproxy/haproxy.cfg) made
 * runnable here: the stats socket, the listener, each `server` line's
 * address, check port and agent port replaced, and the check intervals
 * shortened; everything else (options, backup, agent-check, session
 * handling) is kept as shipped. Throws when an expected line is missing, so
 * the example cannot drift away from what the tests run.
 */
export function adaptExample(
  text: string,
  o: { statsSocket: string; bind: string; servers: Record<string, ExampleServer>; inter: string; rise: number },
): string {
  const done = { stats: 0, bind: 0, servers: new Set<string>(), defaults: 0 };
  const lines = text.split('\n').map((line) => {
    let m = /^(\s*stats socket )(\S+)(.*)$/.exec(line);
    if (m) {
      done.stats++;
      return `${m[1]}${o.statsSocket}${m[3]}`;
    }
    m = /^(\s*bind )(\S+)(.*)$/.exec(line);
    if (m) {
      done.bind++;
      return `${m[1]}${o.bind}${m[3]}`;
    }
    m = /^(\s*server\s+)(\S+)(\s+)(\S+)(.*)$/.exec(line);
    if (m) {
      const name = m[2] as string;
      const s = o.servers[name];
      if (s === undefined) throw new Error(`example has a server ${name} the test does not know`);
      done.servers.add(name);
      const rest = (m[5] as string)
        .replace(/(\s)port \d+/, `$1port ${s.checkPort}`)
        .replace(/(\s)agent-port \d+/, `$1agent-port ${s.agentPort}`)
        .replace(/(\s)agent-inter \S+/, `$1agent-inter ${o.inter}`);
      return `${m[1]}${name}${m[3]}${s.address}${rest}`;
    }
    m = /^(\s*default-server\s.*)$/.exec(line);
    if (m) {
      done.defaults++;
      return line.replace(/(\s)inter \S+/, `$1inter ${o.inter}`).replace(/(\s)rise \d+/, `$1rise ${o.rise}`);
    }
    return line;
  });
  const missing = Object.keys(o.servers).filter((n) => !done.servers.has(n));
  if (done.stats !== 1 || done.bind !== 1 || done.defaults !== 1 || missing.length > 0) {
    throw new Error(`example configuration changed shape: ${JSON.stringify({ ...done, servers: [...done.servers], missing })}`);
  }
  return lines.join('\n');
}

/** One row of `show stat` (CSV), by column name: pxname, svname, status, check_desc, last_chk, last_agt, agent_status, ... */
export type StatRow = Record<string, string>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class HAProxy {
  readonly dir: string;
  readonly statsSocket: string;
  readonly configFile: string;
  private child: ChildProcess;
  private exited = false;
  private exitInfo = '';

  private constructor(dir: string, child: ChildProcess) {
    this.dir = dir;
    this.statsSocket = path.join(dir, 'stats.sock');
    this.configFile = path.join(dir, 'haproxy.cfg');
    this.child = child;
    this.watch(child);
  }

  /** Tracks the exit of the current process only: after a reload, the old one's exit is expected. */
  private watch(child: ChildProcess): void {
    child.once('exit', (code, signal) => {
      if (child !== this.child) return;
      this.exited = true;
      this.exitInfo = signal ? `killed by ${signal}` : `exited with status ${code}`;
    });
  }

  /** The pid of the running HAProxy (it changes with reload()). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Writes the configuration made by `config(statsSocket)` and starts HAProxy;
   * resolves once its stats socket answers. The configuration should have
   * `stats socket <statsSocket> level admin` in its global section.
   */
  static async start(config: (statsSocket: string) => string): Promise<HAProxy> {
    const dir = makeTempDir('hap-');
    const statsSocket = path.join(dir, 'stats.sock');
    const configFile = path.join(dir, 'haproxy.cfg');
    fs.writeFileSync(configFile, config(statsSocket));
    const check = checkConfig(configFile);
    if (!check.ok) throw new Error(`haproxy -c rejected the test configuration:\n${check.output}`);
    const h = new HAProxy(dir, HAProxy.spawn(dir, configFile, []));
    await h.waitAnswering((info) => info !== '');
    return h;
  }

  private static spawn(dir: string, configFile: string, extraArgs: string[]): ChildProcess {
    const log = fs.openSync(path.join(dir, 'haproxy.log'), 'a');
    const child = spawn(haproxyPath(), ['-f', configFile, '-db', ...extraArgs], { stdio: ['ignore', log, log], cwd: dir });
    fs.closeSync(log);
    child.on('error', () => undefined);
    if (child.pid !== undefined) registerPid(child.pid, 'haproxy');
    return child;
  }

  /** Waits until the stats socket answers `show info` with an answer `ok` accepts. */
  private async waitAnswering(ok: (info: string) => boolean): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (this.exited) throw new Error(`haproxy ${this.exitInfo} while starting:\n${this.log()}`);
      try {
        if (ok(await this.command('show info'))) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`haproxy's stats socket did not answer as expected within 15 s:\n${this.log()}`);
      }
      await sleep(50);
    }
  }

  /**
   * A reload as an init script does one: a new HAProxy with the same
   * configuration, started with `-sf OLDPID` so that the old one finishes
   * softly. Resolves once the new one answers on the stats socket and the
   * old one has exited. A `server-state-file` must be written before
   * calling this for states to survive (HAProxy does not write it itself).
   */
  async reload(): Promise<void> {
    const old = this.child;
    if (this.exited || old.pid === undefined) throw new Error(`cannot reload: haproxy ${this.exitInfo || 'has no pid'}`);
    const oldExit = new Promise<void>((resolve) => {
      if (old.exitCode !== null || old.signalCode !== null) resolve();
      else old.once('exit', () => resolve());
    });
    const child = HAProxy.spawn(this.dir, this.configFile, ['-sf', String(old.pid)]);
    this.child = child;
    this.watch(child);
    await this.waitAnswering((info) => new RegExp(`^Pid: ${child.pid}$`, 'm').test(info));
    let timer: NodeJS.Timeout | undefined;
    const gone = await Promise.race([oldExit.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 15_000)))]);
    clearTimeout(timer);
    if (!gone) {
      old.kill('SIGKILL');
      throw new Error(`the old haproxy (pid ${old.pid}) did not exit within 15 s of the reload:\n${this.log()}`);
    }
  }

  log(): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'haproxy.log'), 'utf8').split('\n').slice(-40).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Sends one command to the stats socket and returns the whole answer. */
  command(cmd: string, timeoutMs = 5_000): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const s = net.connect(this.statsSocket);
      let out = '';
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`stats socket: no answer to ${JSON.stringify(cmd)} within ${timeoutMs} ms`));
      }, timeoutMs);
      s.setEncoding('utf8');
      s.on('connect', () => s.write(`${cmd}\n`));
      s.on('data', (d: string) => (out += d));
      s.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      s.on('close', () => {
        clearTimeout(timer);
        resolve(out);
      });
    });
  }

  /** `show stat`, parsed. */
  async stats(): Promise<StatRow[]> {
    const text = await this.command('show stat');
    const lines = text.split('\n').filter((l) => l !== '');
    const header = lines.shift();
    if (header === undefined || !header.startsWith('# ')) throw new Error(`unexpected show stat answer: ${text.slice(0, 200)}`);
    const names = header.slice(2).split(',');
    return lines.map((l) => {
      const values = l.split(',');
      const row: StatRow = {};
      names.forEach((n, i) => {
        if (n !== '') row[n] = values[i] ?? '';
      });
      return row;
    });
  }

  async server(backend: string, server: string): Promise<StatRow> {
    const row = (await this.stats()).find((r) => r['pxname'] === backend && r['svname'] === server);
    if (row === undefined) throw new Error(`no server ${backend}/${server} in show stat`);
    return row;
  }

  /**
   * Polls `show stat` until `predicate` holds for backend/server; returns that
   * row, or throws with the last row seen (and HAProxy's log) after timeoutMs.
   */
  async waitFor(backend: string, server: string, predicate: (row: StatRow) => boolean, what: string, timeoutMs = 20_000): Promise<StatRow> {
    const deadline = Date.now() + timeoutMs;
    let last: StatRow | undefined;
    for (;;) {
      last = await this.server(backend, server);
      if (predicate(last)) return last;
      if (Date.now() > deadline) {
        const brief = ['status', 'check_status', 'check_desc', 'last_chk', 'agent_status', 'agent_desc', 'last_agt']
          .map((k) => `${k}=${JSON.stringify(last?.[k] ?? '')}`)
          .join(' ');
        throw new Error(`${backend}/${server}: not ${what} after ${timeoutMs} ms; last: ${brief}\n${this.log()}`);
      }
      await sleep(100);
    }
  }

  /** Kills HAProxy (SIGKILL: nothing to save) and waits for it. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.exited || this.child.exitCode !== null || this.child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
      setTimeout(resolve, 5_000).unref();
    });
  }
}

/**
 * A unix socket standing in front of a stats socket: forwards each
 * connection to the real one and records every command line a client sent,
 * to count what a runtime API client issues.
 */
export class RecordingSocket {
  readonly commands: string[] = [];
  private readonly open = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly path: string,
  ) {}

  static start(target: string, socketPath: string): Promise<RecordingSocket> {
    return new Promise((resolve, reject) => {
      let self: RecordingSocket | undefined;
      const server = net.createServer((client) => {
        if (self === undefined) return client.destroy();
        const rec = self;
        const upstream = net.connect(target);
        rec.open.add(client).add(upstream);
        let pending = '';
        client.on('data', (d: Buffer) => {
          pending += d.toString('utf8');
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          rec.commands.push(...lines);
          upstream.write(d);
        });
        upstream.pipe(client);
        for (const s of [client, upstream]) {
          s.on('error', () => undefined);
          s.on('close', () => {
            rec.open.delete(s);
            client.destroy();
            upstream.destroy();
          });
        }
      });
      server.on('error', reject);
      server.listen(socketPath, () => {
        self = new RecordingSocket(server, socketPath);
        resolve(self);
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.open) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
