/**
 * Runs one of the project's executables the way its real client does: as a
 * separate process from bin/, with a minimal environment (snmpd, xinetd and
 * Nagios do not pass the caller's environment), optional stdin, and a bound.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const BIN_DIR = join(__dirname, '..', '..', '..', 'bin');

export interface BinResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

export interface BinOptions {
  input?: string | Buffer;
  /** Kill the process after this long (the test then fails on its own assertions). */
  killAfterMs?: number;
  env?: NodeJS.ProcessEnv;
}

export function binPath(name: string): string {
  return join(BIN_DIR, name);
}

/** A clean environment: what snmpd's children get, without NODE_EXTRA_CA_CERTS and friends. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: `${process.env['PATH'] ?? '/usr/bin:/bin'}`, HOME: process.env['HOME'] ?? '/root', ...extra };
}

export function runBin(name: string, args: readonly string[], opts: BinOptions = {}): Promise<BinResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(binPath(name), [...args], { env: opts.env ?? cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    const killer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        elapsedMs: Date.now() - started,
      });
    });
    child.stdin.on('error', () => undefined);
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}
