/**
 * `mysql-failover-check demo`: the project doing its job on a throwaway
 * MariaDB pair, for someone who has none (src/demo/: the pair, the walk).
 *
 *   demo            start the pair, walk the steps, remove everything
 *   demo --step     the same, waiting for Enter between steps
 *   demo --keep     leave the pair running afterwards, and say how to use it
 *   demo --stop     stop a pair --keep left running
 *
 * Exit: 0 the walk went as told (or --stop done); 1 an answer was not what
 * its step expects, or something failed; 2 MariaDB is not installed and we
 * are not root (the install command is printed), or a usage error; 130 on
 * Ctrl-C, after the teardown.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { isCheckError } from '../core/errors';
import { DemoExecutables } from '../demo/demo-executables';
import { findKept, stopKept, type StopKeptResult } from '../demo/kept-pair';
import { keptInstructions, type KeptShown } from '../demo/kept-instructions';
import { DEMO_NODES } from '../demo/demo-node';
import { startLocalPair, type LocalPair } from '../demo/local-pair';
import { Progress } from '../demo/progress';
import { ensureServerPrograms, type ServerPrograms } from '../demo/server-programs';
import { waitForEnter } from '../demo/step-pause';
import { FRESH_A, START_EXTRAS, STEPS, walk, type WalkIo, type WalkResult } from '../demo/walk';

const TOOL = 'mysql-failover-check';

export const EXIT_AS_TOLD = 0;
export const EXIT_DIFFERENT = 1;
/** Also when MariaDB is missing and we may not install it: the person has a command to run first. */
export const EXIT_USAGE = 2;
/** 128 + SIGINT, as a shell reports a process that Ctrl-C ended. */
export const EXIT_INTERRUPTED = 130;

export interface DemoCommand {
  step: boolean;
  keep: boolean;
  stop: boolean;
}

/** Where the demo writes: stdout and stderr (a Terminal), or a test's capture. */
export interface DemoOutput {
  out(text: string): void;
  err(text: string): void;
}

/** What the demo reaches for outside itself; each defaults to the real thing. */
export interface DemoEnvironment {
  ensurePrograms?: (onStep: (text: string) => void, onOutput: (text: string) => void) => Promise<ServerPrograms>;
  /** Where the project's executables are: by default beside the one running. */
  binDir?: string;
  stdin?: Readable;
  tty?: boolean;
}

/** The directory of the executable being run, through symlinks (npm's .bin links to the real shim). */
export function ownBinDir(argv1: string | undefined = process.argv[1]): string {
  return path.dirname(fs.realpathSync(argv1 ?? '.'));
}

function describeStop(r: StopKeptResult): string {
  switch (r.status) {
    case 'nothing-kept':
      return `no kept demo pair (there is no ${r.pointerFile})\n`;
    case 'stale':
      return `the kept demo pair's servers were gone already; removed ${r.dir}\n`;
    case 'stopped':
      return `stopped the kept demo pair (mariadbd ${r.pids.join(', ')}) and removed ${r.dir}\n`;
  }
}

export async function demo(command: DemoCommand, output: DemoOutput, env: DemoEnvironment = {}): Promise<number> {
  if (command.stop) {
    output.out(describeStop(await stopKept()));
    return EXIT_AS_TOLD;
  }
  const kept = command.keep ? findKept() : undefined;
  if (kept !== undefined) {
    output.err(`${TOOL} demo: a kept demo pair runs in ${kept.state.dir}; stop it first: ${TOOL} demo --stop\n`);
    return EXIT_USAGE;
  }
  const line = (text: string): void => output.out(`  ${text}\n`);
  let programs: ServerPrograms;
  try {
    const ensure = env.ensurePrograms ?? ((onStep, onOutput) => ensureServerPrograms({ onStep, onOutput }));
    programs = await ensure(line, (text) => output.out(text));
  } catch (e) {
    if (!isCheckError(e) || e.code !== 'MISSING_PROGRAM') throw e;
    output.err(`${TOOL} demo: ${e.message}\n`);
    return EXIT_USAGE;
  }
  const exe = new DemoExecutables(env.binDir ?? ownBinDir());
  const tty = env.tty ?? process.stdout.isTTY === true;
  const progress = new Progress({
    write: (t) => output.out(t),
    tty,
    ...(process.stdout.columns ? { columns: process.stdout.columns } : {}),
  });

  output.out('Starting a throwaway MariaDB master-master pair on 127.0.0.1 (removed at the end, also on Ctrl-C)\n');
  const pair = await startLocalPair({ programs, onStep: line, optionFileExtras: START_EXTRAS });
  // The pair's teardown guard handles SIGINT first (it was installed first); this only says so and ends.
  const onInterrupt = (): void => {
    output.err(`\n${TOOL} demo: interrupted; both servers stopped and ${pair.dir} removed\n`);
    process.exit(EXIT_INTERRUPTED);
  };
  process.on('SIGINT', onInterrupt);
  let result: WalkResult;
  try {
    introduce(pair, output);
    result = await walk(pair, exe, { out: (t) => output.out(t), progress, beforeStep: stepPause(command, output, env.stdin) });
  } catch (e) {
    process.removeListener('SIGINT', onInterrupt);
    output.out(`\nStopping both servers and removing ${pair.dir}\n`);
    await pair.destroy();
    throw e;
  }
  process.removeListener('SIGINT', onInterrupt);
  output.out(
    `\nThe walk took ${(result.elapsedMs / 1000).toFixed(1)} s, after ${(pair.startupMs / 1000).toFixed(1)} s to start the pair.\n`,
  );
  if (command.keep) {
    output.out(keptInstructions(shownKept(pair, exe.binDir)));
  } else {
    output.out(`Stopping both servers and removing ${pair.dir}\n`);
    await pair.destroy();
    output.out('Done: nothing of the demo is left.\n');
  }
  if (result.differences.length === 0) return EXIT_AS_TOLD;
  output.err(
    `${TOOL} demo: ${result.differences.length} answer(s) were not what their step expects (the !! lines above); ` +
      'on a busy machine a probe can outlast its --timeout\n',
  );
  return EXIT_DIFFERENT;
}

/** --step: Enter before each step but the first; at the end of stdin the walk just goes on. */
function stepPause(command: DemoCommand, output: DemoOutput, stdin: Readable = process.stdin): WalkIo['beforeStep'] {
  let input = command.step;
  return async (index, title) => {
    if (!input) return;
    output.out(`\n  [Enter] for step ${index} of ${STEPS.length}: ${title} `);
    const how = await waitForEnter(stdin);
    if (how === 'end-of-input') input = false;
    // A terminal echoes the Enter; a pipe does not, and the next step would start on the prompt's line.
    if (how !== 'enter' || (stdin as { isTTY?: boolean }).isTTY !== true) output.out('\n');
  };
}

/** Keeps the pair (pointer file, no teardown at exit) and gathers what to print about it. */
function shownKept(pair: LocalPair, binDir: string): KeptShown {
  const kept = pair.keep();
  return {
    dir: kept.dir,
    binDir,
    cwd: process.cwd(),
    nodes: DEMO_NODES.filter((n) => kept.nodes[n] !== undefined).map((n) => {
      const info = pair.node(n);
      return { ...info, optionFileText: pair.optionFileShown(n) };
    }),
  };
}

function introduce(pair: LocalPair, output: DemoOutput): void {
  const a = pair.node('a');
  const b = pair.node('b');
  output.out(
    [
      `Started in ${(pair.startupMs / 1000).toFixed(1)} s:`,
      `  node a  127.0.0.1:${a.port}  the primary: the load balancer prefers it`,
      `  node b  127.0.0.1:${b.port}`,
      `  option files ${a.optionFile} (fresh=${FRESH_A}) and ${b.optionFile}`,
      'After each step the real executables answer for each node, as a load balancer would ask them:',
      '  SNMP  mysql-failover-snmp    100 take traffic, 200 do not',
      '  HTTP  mysql-failover-http    200 or 503, the reason in the body',
      '  agent mysql-failover-agent   HAProxy agent check: up, down or maint',
      '',
    ].join('\n'),
  );
}
