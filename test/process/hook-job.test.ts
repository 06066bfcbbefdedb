/**
 * The detached hook job, as the single-shot executables use it: the caller
 * returns and exits while the hook still runs, the job logs each run and
 * ends within its budget, its environment holds none of the caller's
 * secrets, and it is found from an esbuild bundle the way the installed
 * executables are laid out (or logs that it is missing). Also the
 * in-process runner a resident serve uses, with its callback.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseHookJob, runHookJob, type HookJob } from '../../src/io/hook-job';
import type { HookEvent, HookRun } from '../../src/io/hook-runner';
import { makeTempDir } from '../support/run-dir';
import { until } from '../support/until';
import { lines, processGone, registeredPid, SAMPLE_EVENT, writeScript } from '../support/hooks';

const HOOK_JOB_JS = path.resolve(__dirname, '..', '..', 'src', 'io', 'hook-job.js');
let dir: string;

before(() => {
  dir = makeTempDir('job-');
});

const EVENT: HookEvent = { ...SAMPLE_EVENT, event: 'peer-lost', from: 'reachable', to: 'unreachable', reason: 'peer-unreachable' };

function writeHook(name: string, body: string): string {
  return writeScript(dir, name, body);
}

function job(over: Partial<HookJob>): HookJob {
  return { commands: [], events: [EVENT], timeoutMs: 10_000, tool: 'test-tool', ...over };
}

/**
 * Runs `node script JOB` as a caller would (an executable answering and
 * exiting); resolves when it has exited, with what it printed: the job's
 * pid, or "undefined".
 */
function runCaller(script: string, j: HookJob, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(j)], { stdio: ['ignore', 'pipe', 'inherit'], env });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: stdout.trim() }));
  });
}

/** A caller: starts the job detached, prints its pid, and exits on its own (nothing keeps it alive). */
function callerScript(requirePath: string): string {
  const file = path.join(dir, `caller-${Math.random().toString(36).slice(2)}.js`);
  fs.writeFileSync(
    file,
    `const { startDetachedHooks } = require(${JSON.stringify(requirePath)});\n` +
      `process.stdout.write(String(startDetachedHooks(JSON.parse(process.argv[2]))));\n`,
  );
  return file;
}

function jobPid(stdout: string): number {
  return registeredPid(stdout, 'hook-job');
}

describe('startDetachedHooks', () => {
  test('the caller exits while the hook still runs; the log line appears later', async () => {
    const marker = path.join(dir, 'slow.done');
    const logFile = path.join(dir, 'slow.log');
    const hook = writeHook('slow', `sleep 3\necho "slept" > ${marker}\necho "slept well"`);
    const r = await runCaller(callerScript(HOOK_JOB_JS), job({ commands: [hook], logFile }));
    assert.equal(r.code, 0);
    const pid = jobPid(r.stdout);
    // The caller is gone; the hook is not finished: nothing waited for it.
    assert.equal(fs.existsSync(marker), false, 'the hook had finished before the caller exited');
    assert.deepEqual(lines(logFile), []);
    assert.equal(processGone(pid), false, 'the job outlives its caller');
    await until('the hook line is logged', async () => lines(logFile).length === 1, 30_000);
    assert.ok(fs.existsSync(marker));
    const [line] = lines(logFile);
    assert.match(
      line ?? '',
      /^\S+ test-tool pid=\d+ hook=\S+\/slow event=peer-lost exit=0 signal= timed_out=false killed=false duration_ms=\d+ output="slept well"$/,
    );
    await until('the job exits', async () => processGone(pid), 10_000);
  });

  test('hooks run in order, one line each; a hook that overruns is killed and the job still ends', async () => {
    const order = path.join(dir, 'order.txt');
    const logFile = path.join(dir, 'order.log');
    const first = writeHook('first', `echo first >> ${order}`);
    const stuck = writeHook('stuck', `echo stuck >> ${order}\nsleep 60`);
    const last = writeHook('last', `echo last >> ${order}`);
    const r = await runCaller(
      callerScript(HOOK_JOB_JS),
      job({ commands: [first, stuck, last], logFile, timeoutMs: 500, killGraceMs: 1_000 }),
    );
    const pid = jobPid(r.stdout);
    await until('the job exits', async () => processGone(pid), 30_000);
    assert.deepEqual(fs.readFileSync(order, 'utf8').split('\n').filter(Boolean), ['first', 'stuck', 'last']);
    const logged = lines(logFile);
    assert.equal(logged.length, 3, logged.join('\n'));
    assert.match(logged[0] ?? '', /hook=\S+\/first .* exit=0 .*timed_out=false/);
    assert.match(logged[1] ?? '', /hook=\S+\/stuck .* exit= signal=SIGTERM timed_out=true killed=false/);
    assert.match(logged[2] ?? '', /hook=\S+\/last .* exit=0 .*timed_out=false/);
  });

  test("the job and its hooks get none of the caller's environment beyond the whitelist", async () => {
    const pidFile = path.join(dir, 'env-hook.pid');
    const logFile = path.join(dir, 'env.log');
    const hook = writeHook('env-hook', `echo $$ > ${pidFile}\nsleep 2`);
    const env = { ...process.env, MYSQL_PWD: 'caller-secret-pw' };
    const r = await runCaller(callerScript(HOOK_JOB_JS), job({ commands: [hook], logFile }), env);
    const pid = jobPid(r.stdout);
    await until('the hook is running', async () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').endsWith('\n'), 10_000);
    const hookPid = Number(fs.readFileSync(pidFile, 'utf8'));
    for (const p of [pid, hookPid]) {
      const environ = fs.readFileSync(`/proc/${p}/environ`, 'utf8');
      assert.ok(!environ.includes('caller-secret-pw'), `pid ${p} has the secret in its environment`);
    }
    await until('the job exits', async () => processGone(pid), 30_000);
  });

  test('a missing hook is logged as such, and the job ends', async () => {
    const logFile = path.join(dir, 'missing.log');
    const r = await runCaller(callerScript(HOOK_JOB_JS), job({ commands: [path.join(dir, 'no-such-hook')], logFile }));
    const pid = jobPid(r.stdout);
    await until('the job exits', async () => processGone(pid), 30_000);
    assert.match(lines(logFile)[0] ?? '', / exit= signal= timed_out=false killed=false duration_ms=\d+ error=ENOENT output=""$/);
  });
});

describe('from an esbuild bundle, laid out as installed (dist/bundle/<name>.js beside dist/src/)', () => {
  let layout: string;
  let bundle: string;

  before(async () => {
    layout = path.join(dir, 'layout');
    const entry = callerScript(HOOK_JOB_JS);
    bundle = path.join(layout, 'bundle', 'probe.js');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require('esbuild') as typeof import('esbuild');
    await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: bundle,
      logLevel: 'error',
    });
    fs.cpSync(path.resolve(__dirname, '..', '..', 'src'), path.join(layout, 'src'), { recursive: true });
  });

  test('the bundle finds ../src/io/hook-job.js and the hook runs', async () => {
    const marker = path.join(dir, 'bundled.done');
    const logFile = path.join(dir, 'bundled.log');
    const r = await runCaller(bundle, job({ commands: [writeHook('bundled', `touch ${marker}`)], logFile }));
    const pid = jobPid(r.stdout);
    await until('the job exits', async () => processGone(pid), 30_000);
    assert.ok(fs.existsSync(marker));
    assert.match(lines(logFile)[0] ?? '', /hook=\S+\/bundled event=peer-lost exit=0 /);
    // It ran the copy beside the bundle, not the tsc output the bundle was made from.
    assert.ok(fs.existsSync(path.join(layout, 'src', 'io', 'hook-job.js')));
  });

  test('without it, the caller logs HOOK_JOB_MISSING, runs nothing, and still returns', async () => {
    fs.rmSync(path.join(layout, 'src', 'io', 'hook-job.js'));
    const marker = path.join(dir, 'never.done');
    const logFile = path.join(dir, 'never.log');
    const r = await runCaller(bundle, job({ commands: [writeHook('never', `touch ${marker}`)], logFile }));
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'undefined');
    assert.match(lines(logFile)[0] ?? '', / test-tool pid=\d+ hook_job=failed event="peer-lost" error=HOOK_JOB_MISSING detail=".+"$/);
    assert.equal(fs.existsSync(marker), false);
  });
});

describe('the job script and the in-process runner', () => {
  test('the script refuses a malformed job with exit 2 and runs nothing', async () => {
    for (const arg of [
      '',
      'not json',
      '{}',
      JSON.stringify({ ...job({}), timeoutMs: -1 }),
      JSON.stringify({ ...job({}), commands: 'x' }),
    ]) {
      const code = await new Promise<number | null>((resolve) => {
        const c = spawn(process.execPath, [HOOK_JOB_JS, arg], { stdio: 'ignore' });
        c.on('close', resolve);
      });
      assert.equal(code, 2, arg);
    }
  });

  test('parseHookJob gives back a job it was given', () => {
    const j = job({ commands: ['/a', '/b'], logFile: '/var/log/x.log', killGraceMs: 100, haproxyTimeoutMs: 200 });
    assert.deepEqual(parseHookJob(JSON.stringify(j)), j);
  });

  test('runHookJob calls onRun for each run, and a throwing callback stops nothing', async () => {
    const seen: HookRun[] = [];
    const logFile = path.join(dir, 'inproc.log');
    const a = writeHook('inproc-a', 'echo a; exit 3');
    const b = writeHook('inproc-b', 'echo b');
    await runHookJob(job({ commands: [a, b], logFile }), {
      onRun: (run) => {
        seen.push(run);
        throw new Error('bookkeeping failed');
      },
    });
    assert.deepEqual(
      seen.map((r) => [r.command, r.exitCode, r.output]),
      [
        [a, 3, 'a'],
        [b, 0, 'b'],
      ],
    );
    assert.equal(lines(logFile).length, 2);
  });
});
