/**
 * The MariaDB programs the demo runs, and getting them onto a Debian machine.
 *
 * As root the demo installs Debian's mariadb-server itself (the README
 * promises two commands on a fresh machine); anyone else gets the exact
 * command to run, in a CheckError with code MISSING_PROGRAM.
 *
 * The package's postinst may start Debian's own mariadb service: the demo
 * neither needs nor touches it (own ports, sockets and data directories).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CheckError } from '../core/errors';
import { describeRun, runProgram } from './run-program';

export interface ServerPrograms {
  mariadbd: string;
  installDb: string;
}

/** Looks a program up by name: an absolute path, or undefined. */
export type ProgramLookup = (name: string) => string | undefined;

/** mariadbd lives in /usr/sbin, which is not in every user's PATH. */
export const SBIN_DIRS: readonly string[] = ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/local/bin', '/usr/bin', '/bin'];

export const SERVER_PACKAGE = 'mariadb-server';

/** What a person who is not root runs; printed verbatim by `demo`. */
export const INSTALL_COMMAND = `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${SERVER_PACKAGE}`;

/** The apt-get runs the demo makes as root, in order (DEBIAN_FRONTEND=noninteractive). */
export const APT_STEPS: readonly (readonly string[])[] = [['update'], ['install', '-y', '--no-install-recommends', SERVER_PACKAGE]];

/** apt-get update fetches indexes; install downloads ~20 MB and runs postinst scripts. */
const APT_TIMEOUT_MS: Readonly<Record<string, number>> = { update: 5 * 60_000, install: 15 * 60_000 };

export function findProgram(name: string, pathEnv: string | undefined = process.env['PATH']): string | undefined {
  const dirs = [...(pathEnv ?? '').split(path.delimiter).filter((d) => path.isAbsolute(d)), ...SBIN_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function findServerPrograms(lookup: ProgramLookup = findProgram): ServerPrograms | undefined {
  const mariadbd = lookup('mariadbd');
  const installDb = lookup('mariadb-install-db');
  return mariadbd !== undefined && installDb !== undefined ? { mariadbd, installDb } : undefined;
}

/** Runs one program to completion; resolves with its exit status (undefined when killed). */
export type CommandRunner = (file: string, args: readonly string[], env: NodeJS.ProcessEnv) => Promise<number | undefined>;

export interface EnsureOptions {
  lookup?: ProgramLookup;
  isRoot?: boolean;
  /** Progress for people: each command is announced before it runs. */
  onStep?: (text: string) => void;
  /** apt-get's own output, as it comes. */
  onOutput?: (text: string) => void;
  /** Replaces the real apt-get runs (tests). */
  run?: CommandRunner;
}

function missing(why: string): CheckError {
  return new CheckError('MISSING_PROGRAM', `${why}; install MariaDB with:\n  ${INSTALL_COMMAND}`);
}

/** The programs, installing Debian's package first when they are missing and we are root. */
export async function ensureServerPrograms(opts: EnsureOptions = {}): Promise<ServerPrograms> {
  const lookup = opts.lookup ?? findProgram;
  const found = findServerPrograms(lookup);
  if (found) return found;
  const what = 'the MariaDB server (mariadbd, mariadb-install-db) is not installed';
  const isRoot = opts.isRoot ?? process.getuid?.() === 0;
  if (!isRoot) throw missing(what);
  const aptGet = lookup('apt-get');
  if (aptGet === undefined) {
    throw new CheckError(
      'MISSING_PROGRAM',
      `${what}, and there is no apt-get to install it with: install ${SERVER_PACKAGE} with this system's package manager`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = opts.run ?? defaultRunner(opts.onOutput);
  for (const args of APT_STEPS) {
    opts.onStep?.(`installing MariaDB: DEBIAN_FRONTEND=noninteractive apt-get ${args.join(' ')}`);
    const status = await run(aptGet, args, env);
    if (status !== 0) {
      throw new CheckError(
        'MISSING_PROGRAM',
        `apt-get ${args.join(' ')} failed (${status === undefined ? 'killed' : `status ${status}`}); ${what}`,
      );
    }
  }
  const installed = findServerPrograms(lookup);
  if (!installed) throw missing(`${what}, even after apt-get install ${SERVER_PACKAGE}`);
  return installed;
}

function defaultRunner(onOutput: ((text: string) => void) | undefined): CommandRunner {
  return async (file, args, env) => {
    const timeoutMs = APT_TIMEOUT_MS[args[0] ?? ''] ?? 15 * 60_000;
    // Not detached: a Ctrl-C at the terminal interrupts apt-get as people expect.
    const r = await runProgram(file, args, { timeoutMs, env, ...(onOutput ? { onOutput } : {}) });
    if (r.timedOut) onOutput?.(`apt-get ${args[0]} ${describeRun(r, timeoutMs)}\n`);
    return r.status;
  };
}
