/**
 * The demo's walk: the scenarios of the original blog posts, live, on the
 * throwaway pair (local-pair.ts), with the project's real executables
 * answering after each move (demo-executables.ts, answer-table.ts).
 *
 *   1 all cool
 *   2 the primary (node a) dies: SIGKILL; node b keeps the traffic
 *   3 a returns behind (real lag: slow-write.ts) and answers 200 meanwhile
 *   4 a caught up: 100
 *   5 a maintenance drain and undrain (the maintenance file)
 *   6 with failback=manual a stays out after a restart until `recover`
 *
 * Each step prints its title, what it did (the signal, the SQL, the file,
 * the command) and the table of answers, then says what the answers mean,
 * or, when they are not what the step expects, says that instead: the walk
 * shows the real answers and never bends them into the story.
 *
 * Node a's option file sets fresh=3 (default 20 s): the returning node looks
 * at replication only once its own heartbeat is stale, and a 20 s outage
 * would make the walk long for nothing. Node b keeps the default, so its
 * heartbeat stays fresh across the steps and its answers stay plain.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Reason } from '../core/decide';
import { formatAnswerTable, mismatches, readAnswers, type Expectation, type NodeAnswers } from './answer-table';
import { CHECK, type DemoExecutables } from './demo-executables';
import { DEMO_NODES, type DemoNode } from './demo-node';
import type { LocalPair } from './local-pair';
import type { Progress } from './progress';
import type { ReplicaState } from './replication';

/** Node a's --fresh, seconds (see the top of this file). */
export const FRESH_A = 3;
/** How long node a's SQL thread spends on the slow row in step 3. */
export const SLOW_WRITE_SECONDS = 8;
/** The option file extras the walk starts with. */
export const START_EXTRAS: Readonly<Record<DemoNode, Readonly<Record<string, string>>>> = { a: { fresh: String(FRESH_A) }, b: {} };

/** Replication waits: the slow row, and a busy machine on top. */
const CATCH_UP_TIMEOUT_MS = 60_000;

export interface WalkIo {
  /** Everything the walk prints. */
  out: (text: string) => void;
  progress: Progress;
  /** Called before every step but the first: resolves when it may start (--step: at Enter). */
  beforeStep: (index: number, title: string) => Promise<void>;
}

export interface WalkResult {
  /** One line per answer that was not what its step expects. */
  differences: string[];
  elapsedMs: number;
}

export interface Step {
  title: string;
  run: (w: Walker) => Promise<void>;
}

const UP_PLAIN: Expectation = { verdict: 'UP', reasons: ['fresh', 'caught-up'] };
const expectDown = (...reasons: Reason[]): Expectation => ({ verdict: 'DOWN', reasons });
const expectUp = (...reasons: Reason[]): Expectation => ({ verdict: 'UP', reasons });

/** What a step does to the pair, and what it shows. */
export class Walker {
  readonly differences: string[] = [];
  private step = 0;
  private downSince: number | undefined;

  constructor(
    readonly pair: LocalPair,
    private readonly exe: DemoExecutables,
    private readonly io: WalkIo,
  ) {}

  begin(index: number, title: string): void {
    this.step = index;
    this.io.out(`\nStep ${index} of ${STEPS.length}: ${title}\n`);
  }

  /** "did: ..." with continuation lines indented under it. */
  did(text: string): void {
    const [first, ...rest] = text.split('\n');
    this.io.out(`  did: ${first}\n${rest.map((l) => `       ${l}\n`).join('')}`);
  }

  say(text: string): void {
    this.io.out(`  ${text}\n`);
  }

  /** Runs the three executables against both nodes, prints the table, and checks it. */
  async table(expected: Readonly<Record<DemoNode, Expectation>>, meaning: string): Promise<NodeAnswers[]> {
    const rows = await this.io.progress.wait(
      'asking both nodes (SNMP, HTTP, agent)',
      Promise.all(DEMO_NODES.map(async (n) => readAnswers(n, await this.exe.answers(this.pair.node(n).optionFile)))),
      { quiet: true },
    );
    this.io.out(formatAnswerTable(rows));
    const wrong = mismatches(rows, expected);
    if (wrong.length === 0) {
      this.io.out(`  -> ${meaning}\n`);
    } else {
      this.io.out(`  !! not what this step expects:\n${wrong.map((w) => `     ${w}\n`).join('')}`);
      this.differences.push(...wrong.map((w) => `step ${this.step}: ${w}`));
    }
    return rows;
  }

  async kill(n: DemoNode): Promise<void> {
    const pid = this.pair.pid(n);
    await this.pair.kill(n);
    this.downSince = Date.now();
    this.did(`kill -KILL ${pid ?? '?'}: node ${n}'s mariadbd dies, as in a crash`);
  }

  async stop(n: DemoNode, why: string): Promise<void> {
    const pid = this.pair.pid(n);
    await this.io.progress.wait(`stopping node ${n}`, this.pair.stop(n), { quiet: true });
    this.downSince = Date.now();
    this.did(`kill -TERM ${pid ?? '?'}: node ${n}'s mariadbd shuts down cleanly (${why})`);
  }

  async start(n: DemoNode): Promise<void> {
    await this.io.progress.wait(`starting node ${n}`, this.pair.start(n), { quiet: true });
    this.did(`started node ${n}'s mariadbd again (pid ${this.pair.pid(n) ?? '?'}): same data directory, same port`);
  }

  /** Until node `n` has been down for `ms` (its heartbeat then older than that). */
  async stayDown(n: DemoNode, ms: number, why: string): Promise<void> {
    const left = (this.downSince ?? Date.now()) + ms - Date.now();
    await this.io.progress.countdown(`node ${n} stays down ${why}`, left);
  }

  /** Until both nodes replicate again (a returning node's I/O thread reconnects, the peer's too). */
  async replicationRunning(): Promise<void> {
    for (const n of DEMO_NODES) {
      await this.io.progress.wait(`waiting for node ${n}'s replication to run`, this.pair.waitReplicationRunning(n, CATCH_UP_TIMEOUT_MS), {
        status: async () => threads(await this.pair.replicaState(n)),
      });
    }
  }

  async caughtUp(n: DemoNode): Promise<void> {
    await this.io.progress.wait(`waiting for node ${n} to catch up`, this.pair.waitCaughtUp(n, CATCH_UP_TIMEOUT_MS), {
      status: async () => lagWords(await this.pair.replicationLag(n)),
    });
  }

  /** Seconds_Behind_Master of `n` now, in words; never throws (it is commentary). */
  async lagNow(n: DemoNode): Promise<string> {
    try {
      return lagWords(await this.pair.replicationLag(n));
    } catch {
      return 'lag unknown';
    }
  }

  async slowWrite(n: DemoNode, seconds: number): Promise<void> {
    const statement = await this.pair.slowWrite(n, seconds);
    const source = n === 'a' ? 'b' : 'a';
    this.did(
      `on node ${source}, with binlog_format = STATEMENT (one row node ${n}'s replication will spend ${seconds} s applying):\n` +
        wrapSql(statement),
    );
  }

  maintenance(n: DemoNode, on: boolean): void {
    const file = this.pair.node(n).maintenanceFile;
    if (on) fs.writeFileSync(file, 'demo: drained\n', { mode: 0o600 });
    else fs.rmSync(file, { force: true });
    this.did(`${on ? 'touch' : 'rm'} ${file}   (node-${n}.cnf: maintenance-file=${path.basename(file)})`);
  }

  optionFile(n: DemoNode, extra: Readonly<Record<string, string>>): void {
    this.pair.writeOptionFile(n, extra);
    this.did(
      `node-${n}.cnf, [mysql-failover-check] now has:\n` +
        Object.entries(extra)
          .map(([k, v]) => `${k}=${v}`)
          .join('\n'),
    );
  }

  /** The real `mysql-failover-check recover`, as an operator runs it. */
  async recover(n: DemoNode): Promise<boolean> {
    const args = ['recover', `--defaults-file=${this.pair.node(n).optionFile}`];
    const run = await this.exe.run(CHECK, args);
    const output = (run.result.stdout + run.result.stderr).trimEnd();
    this.did(
      `${run.command}\n${output
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n')}`,
    );
    const ok = run.result.status === 0;
    if (!ok) this.differences.push(`step ${this.step}: recover exited with ${run.result.status ?? run.result.signal}`);
    return ok;
  }
}

/** The replication threads in a few words (describeReplica's errors are too long for one redrawn line). */
function threads(st: ReplicaState | undefined): string {
  return st === undefined ? 'no replication' : `IO thread ${st.ioRunning}, SQL thread ${st.sqlRunning}`;
}

function lagWords(lag: number | null): string {
  return lag === null ? 'lag unknown (NULL)' : `${lag} s behind`;
}

/** The slow write's statement on a few lines, for a terminal. */
function wrapSql(statement: string): string {
  return statement.replace(/ (SELECT|FROM DUAL) /g, '\n  $1 ');
}

export const STEPS: readonly Step[] = [
  {
    title: 'all cool',
    run: async (w) => {
      w.did('nothing yet: both nodes run and replicate from each other');
      await w.table(
        { a: UP_PLAIN, b: UP_PLAIN },
        'both may take traffic, and the load balancer sends it to a, its preferred node. No heartbeat was stamped yet, so each ' +
          'looked at replication (caught up); each UP stamps its own heartbeat row',
      );
    },
  },
  {
    title: 'the primary dies, and the peer keeps the traffic',
    run: async (w) => {
      await w.kill('a');
      await w.table(
        { a: expectDown('local-unreachable'), b: expectUp('peer-unreachable') },
        'a cannot answer: DOWN. b cannot reach its peer, so it is the last node: UP, and it keeps stamping its heartbeat',
      );
    },
  },
  {
    title: 'the primary returns behind, and answers 200 while catching up',
    run: async (w) => {
      await w.slowWrite('a', SLOW_WRITE_SECONDS);
      await w.stayDown('a', (FRESH_A + 1) * 1000, `until its heartbeat is older than fresh=${FRESH_A} s`);
      await w.start('a');
      await w.replicationRunning();
      await w.table(
        { a: expectDown('catching-up'), b: UP_PLAIN },
        `a's heartbeat is stale, so it checked replication: ${await w.lagNow('a')}, more than max-lag 1 s: DOWN (catching-up). The traffic stays on b`,
      );
    },
  },
  {
    title: 'caught up, it answers 100',
    run: async (w) => {
      await w.caughtUp('a');
      w.did('waited: node a applied the slow row and everything after it (compared by GTID)');
      await w.table(
        { a: expectUp('caught-up', 'fresh'), b: UP_PLAIN },
        'a is within max-lag: UP (100), and it stamps its heartbeat again. The load balancer may send traffic back to a',
      );
    },
  },
  {
    title: 'a maintenance drain and undrain',
    run: async (w) => {
      w.maintenance('a', true);
      await w.table(
        { a: expectDown('maintenance'), b: UP_PLAIN },
        "while the file exists a answers DOWN, whatever the database says; HAProxy's agent is told maint, not a failure",
      );
      w.maintenance('a', false);
      await w.table({ a: UP_PLAIN, b: UP_PLAIN }, 'the file is gone: a takes traffic again');
    },
  },
  {
    title: 'with failback=manual it stays out until recover',
    run: async (w) => {
      const a = w.pair.node('a');
      w.optionFile('a', { ...START_EXTRAS.a, failback: 'manual', 'state-file': a.stateFile });
      await w.table({ a: UP_PLAIN, b: UP_PLAIN }, `a keeps its failover state in ${path.basename(a.stateFile)} now: up`);
      await w.stop('a', 'a restart, say for an upgrade');
      await w.table(
        { a: expectDown('local-unreachable'), b: expectUp('peer-unreachable') },
        'a is DOWN, and with failback=manual that DOWN is latched (state failed)',
      );
      await w.start('a');
      await w.replicationRunning();
      await w.caughtUp('a');
      await w.table(
        { a: expectDown('awaiting-recover'), b: UP_PLAIN },
        'a is running and caught up, yet it stays out until an operator says so',
      );
      if (await w.recover('a')) {
        await w.table({ a: UP_PLAIN, b: UP_PLAIN }, 'recovered: a takes traffic again');
      }
    },
  },
];

/** Walks every step on the running pair; the pair is the caller's to destroy or keep. */
export async function walk(pair: LocalPair, exe: DemoExecutables, io: WalkIo): Promise<WalkResult> {
  const started = Date.now();
  const w = new Walker(pair, exe, io);
  for (const [i, step] of STEPS.entries()) {
    if (i > 0) await io.beforeStep(i + 1, step.title);
    w.begin(i + 1, step.title);
    await step.run(w);
  }
  return { differences: w.differences, elapsedMs: Date.now() - started };
}
