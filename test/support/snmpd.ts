/**
 * A real snmpd (the Debian package) for end-to-end tests: started in the
 * foreground on a free loopback UDP port with only the configuration lines a
 * test gives it, no MIB files (load balancers use numeric OIDs), and killed
 * afterwards; plus the net-snmp command-line clients pointed at it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { findExecutable, registerPid } from './run-dir';

const run = promisify(execFile);

export const COMMUNITY = 'mfctest';

/** No MIB files: numeric OIDs in and out, as a load balancer sees them. */
const NO_MIBS = ['-M', '/nonexistent', '-m', ''];

export function need(name: string, pkg: string): string {
  const p = findExecutable(name);
  if (!p) throw new Error(`${name} not found; install it with: apt-get install -y ${pkg} (npm test does so when run as root)`);
  return p;
}

/** A UDP port on 127.0.0.1 that was free a moment ago. */
export function freeUdpPort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

export interface Snmpd {
  port: number;
  /** The tail of snmpd's own log, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts snmpd with `agentaddress` on a free port followed by `lines` (the
 * community and the extension lines), and waits until it answers sysUpTime
 * with `community`.
 */
export async function startSnmpd(dir: string, lines: readonly string[], community = COMMUNITY): Promise<Snmpd> {
  const snmpdPath = need('snmpd', 'snmpd');
  const port = await freeUdpPort();
  const conf = path.join(dir, 'snmpd.conf');
  const logFile = path.join(dir, 'snmpd.log');
  fs.writeFileSync(conf, [`agentaddress udp:127.0.0.1:${port}`, ...lines].join('\n') + '\n');
  // -f: foreground, -Lf: log to a file, -C -c: only this configuration.
  const child: ChildProcess = spawn(snmpdPath, ['-f', '-C', '-c', conf, '-Lf', logFile, '-p', path.join(dir, 'snmpd.pid'), ...NO_MIBS], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', SNMP_PERSISTENT_DIR: path.join(dir, 'persist') },
    stdio: 'ignore',
  });
  child.on('error', () => undefined);
  if (child.pid !== undefined) registerPid(child.pid, 'snmpd-e2e');
  const log = (): string => {
    try {
      return fs.readFileSync(logFile, 'utf8').slice(-2000);
    } catch {
      return '';
    }
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
      setTimeout(resolve, 5_000).unref();
    });
  };
  const until = Date.now() + 15_000;
  for (;;) {
    try {
      await run(need('snmpget', 'snmp'), [
        '-v2c',
        '-c',
        community,
        '-t',
        '0.3',
        '-r',
        '0',
        ...NO_MIBS,
        `udp:127.0.0.1:${port}`,
        '1.3.6.1.2.1.1.3.0',
      ]);
      break;
    } catch (e) {
      if (child.exitCode !== null || Date.now() > until) {
        await stop();
        throw new Error(`snmpd did not answer: ${String(e)}\n${log()}`, { cause: e });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { port, log, stop };
}

export interface ClientOptions {
  community?: string;
  /** Seconds snmpget waits for snmpd (which waits for the extension). */
  timeoutS?: number;
  /** Output options (default: -On -Oqv, numeric OID, value only). */
  output?: readonly string[];
}

/**
 * Runs one of the net-snmp clients (snmpget, snmpwalk, snmpset, ...) against
 * the snmpd on `port`, with no retries; rejects when it exits non-zero (the
 * error carries its stderr).
 */
export async function snmpClient(tool: string, port: number, args: readonly string[], opts: ClientOptions = {}): Promise<string> {
  const { stdout } = await run(
    need(tool, 'snmp'),
    [
      '-v2c',
      '-c',
      opts.community ?? COMMUNITY,
      ...(opts.output ?? ['-On', '-Oqv']),
      ...NO_MIBS,
      '-t',
      String(opts.timeoutS ?? 6),
      '-r',
      '0',
      `udp:127.0.0.1:${port}`,
      ...args,
    ],
    { timeout: 15_000 },
  );
  return stdout;
}

/** One snmpget, as a load balancer polls: numeric OID, the value only, quotes of a string removed. */
export async function snmpGet(port: number, oid: string, opts: ClientOptions = {}): Promise<string> {
  return (await snmpClient('snmpget', port, [oid], opts)).trim().replace(/^"(.*)"$/, '$1');
}
