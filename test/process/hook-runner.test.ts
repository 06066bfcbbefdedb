/**
 * runHook with real child processes: the argv is an array and no shell
 * sees it, the environment is a whitelist plus MFC_*, the timeout sends
 * SIGTERM then SIGKILL to the hook's whole process group, the output is
 * bounded and made safe, and a hook that cannot run gives an error code,
 * never an exception.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatHookLine, OUTPUT_LIMIT, runHook, type HookRun } from '../../src/io/hook-runner';
import { processGone, registeredPid, SAMPLE_EVENT, writeScript } from '../support/hooks';
import { makeTempDir } from '../support/run-dir';
import { until } from '../support/until';

let dir: string;

before(() => {
  dir = makeTempDir('hooks-');
});

const EVENT = SAMPLE_EVENT;

function writeHook(name: string, body: string, interpreter?: string): string {
  return writeScript(dir, name, body, interpreter);
}

/** A Node hook that writes its argv and its whole environment, as it received them, to `out`. */
function recorderHook(name: string, out: string): string {
  return writeHook(
    name,
    `require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({ argv: process.argv.slice(2), env: process.env }));`,
    process.execPath,
  );
}

function readRecord(out: string): { argv: string[]; env: Record<string, string> } {
  return JSON.parse(fs.readFileSync(out, 'utf8')) as { argv: string[]; env: Record<string, string> };
}

/** A pid a hook wrote to `file`. */
function pidFrom(file: string): number {
  return registeredPid(fs.readFileSync(file, 'utf8'), 'hook-grandchild');
}

describe('arguments: an argv array, never a shell', () => {
  test('a node name with ; and $(...) reaches the hook as one argument, and nothing is evaluated', async () => {
    const out = path.join(dir, 'argv.json');
    const pwned = path.join(dir, 'pwned');
    const node = `x; touch ${pwned} $(touch ${pwned}2) \`touch ${pwned}3\``;
    const run = await runHook(recorderHook('argv-recorder', out), { ...EVENT, node, reason: 'a "quoted" reason' }, { timeoutMs: 10_000 });
    assert.equal(run.exitCode, 0, JSON.stringify(run));
    assert.deepEqual(readRecord(out).argv, ['down', node, 'up', 'down', 'a "quoted" reason']);
    for (const f of [pwned, `${pwned}2`, `${pwned}3`]) assert.equal(fs.existsSync(f), false, `${f} was created`);
  });

  test('the command is one path, spaces included: it is not split into a command line', async () => {
    const out = path.join(dir, 'spaced.json');
    const spaced = recorderHook('my hook', out);
    const run = await runHook(spaced, EVENT, { timeoutMs: 10_000 });
    assert.equal(run.exitCode, 0, JSON.stringify(run));
    assert.equal(readRecord(out).argv[0], 'down');
    // A command line is a path that does not exist, not a program with arguments.
    const line = await runHook('/bin/echo hello', EVENT, { timeoutMs: 10_000 });
    assert.equal(line.error, 'ENOENT');
    assert.equal(line.output, '');
  });

  test('a relative path or a bare name is refused without running anything', async () => {
    for (const command of ['echo', 'hooks/read-only-off', './x', '']) {
      const run = await runHook(command, EVENT, { timeoutMs: 10_000 });
      assert.equal(run.error, 'USAGE', command);
      assert.equal(run.exitCode, null);
    }
  });
});

describe('environment: a whitelist plus MFC_*', () => {
  test('a secret in our environment does not reach the hook; MFC_* describe the event', async () => {
    const out = path.join(dir, 'env.json');
    const saved = { ...process.env };
    process.env['MYSQL_PWD'] = 'hunter2-secret';
    process.env['MFC_TEST_SECRET'] = 'another-secret';
    process.env['LANG'] = 'C.UTF-8';
    process.env['TZ'] = 'UTC';
    try {
      const run = await runHook(recorderHook('env-recorder', out), { ...EVENT, lag: 12, actor: 'watcher' }, { timeoutMs: 10_000 });
      assert.equal(run.exitCode, 0, JSON.stringify(run));
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
    const { env } = readRecord(out);
    assert.ok(!JSON.stringify(env).includes('secret'), `a secret reached the hook: ${JSON.stringify(env)}`);
    const allowed = new Set(['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'LOGNAME', 'USER']);
    for (const k of Object.keys(env)) assert.ok(allowed.has(k) || k.startsWith('MFC_'), `unexpected variable ${k}`);
    assert.equal(env['LANG'], 'C.UTF-8');
    assert.equal(env['TZ'], 'UTC');
    assert.deepEqual(Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('MFC_'))), {
      MFC_EVENT: 'down',
      MFC_NODE: 'db1',
      MFC_PEER: 'db2',
      MFC_FROM: 'up',
      MFC_TO: 'down',
      MFC_REASON: 'replication-stopped',
      MFC_LAG: '12',
      MFC_TIME: '2024-01-02T03:04:05.678Z',
      MFC_ACTOR: 'watcher',
    });
  });

  test('MFC_LAG is empty when the lag is unknown; PATH is there even when ours is not', async () => {
    const out = path.join(dir, 'env2.json');
    const savedPath = process.env['PATH'];
    delete process.env['PATH'];
    try {
      await runHook(recorderHook('env-recorder2', out), EVENT, { timeoutMs: 10_000 });
    } finally {
      process.env['PATH'] = savedPath;
    }
    const { env } = readRecord(out);
    assert.equal(env['MFC_LAG'], '');
    assert.match(env['PATH'] ?? '', /(^|:)\/usr\/bin(:|$)/);
  });

  test('stdin is /dev/null: a hook reading it gets EOF at once', async () => {
    const run = await runHook(writeHook('reads-stdin', 'cat; echo "stdin closed"'), EVENT, { timeoutMs: 30_000 });
    assert.equal(run.exitCode, 0);
    assert.equal(run.timedOut, false);
    assert.equal(run.output, 'stdin closed');
  });
});

describe('timeout: SIGTERM, then SIGKILL, to the whole process group', () => {
  test('a hook that sleeps 60 s is stopped by SIGTERM at the timeout', async () => {
    const run = await runHook(writeHook('sleeper', 'echo started; sleep 60'), EVENT, { timeoutMs: 500, killGraceMs: 20_000 });
    assert.equal(run.timedOut, true);
    assert.equal(run.killed, false, 'SIGTERM was enough');
    assert.equal(run.signal, 'SIGTERM');
    assert.equal(run.exitCode, null);
    assert.equal(run.output, 'started');
    // Settled long before the grace would have ended: SIGKILL was not what ended it.
    assert.ok(run.durationMs < 20_000, `took ${run.durationMs} ms`);
  });

  test('a hook that ignores SIGTERM is SIGKILLed after the grace', async () => {
    const body = "trap 'echo TERM ignored' TERM\nwhile :; do sleep 1; done";
    const run = await runHook(writeHook('stubborn', body), EVENT, { timeoutMs: 300, killGraceMs: 700 });
    assert.equal(run.timedOut, true);
    assert.equal(run.killed, true);
    assert.equal(run.signal, 'SIGKILL');
    assert.match(run.output, /TERM ignored/);
  });

  test("the hook's children die with it", async () => {
    const pidFile = path.join(dir, 'child.pid');
    const body = `sleep 60 &\necho $! > ${pidFile}\nwait`;
    const run = await runHook(writeHook('parent', body), EVENT, { timeoutMs: 500, killGraceMs: 5_000 });
    assert.equal(run.timedOut, true);
    const child = pidFrom(pidFile);
    await until("the hook's child is gone", async () => processGone(child), 10_000);
  });

  test('a child that outlives the hook and holds its output is killed at the timeout; the run still settles', async () => {
    const pidFile = path.join(dir, 'orphan.pid');
    const body = `sleep 60 &\necho $! > ${pidFile}\necho "left a child"\nexit 0`;
    const run: HookRun = await runHook(writeHook('leaves-child', body), EVENT, { timeoutMs: 700, killGraceMs: 5_000 });
    assert.equal(run.exitCode, 0, 'the hook itself ended well');
    assert.equal(run.timedOut, false, 'the hook itself did not time out');
    assert.equal(run.output, 'left a child');
    const orphan = pidFrom(pidFile);
    await until('the left-over child is gone', async () => processGone(orphan), 10_000);
  });
});

describe('output and failures', () => {
  test('the output is the last 4 KiB, marked as cut, with control characters replaced', async () => {
    const body =
      'i=0; while [ $i -lt 2000 ]; do echo "line $i of filler text"; i=$((i+1)); done\nprintf \'\\033[31mred\\r\\n\'\necho THE END';
    const run = await runHook(writeHook('chatty', body), EVENT, { timeoutMs: 30_000 });
    assert.equal(run.exitCode, 0);
    assert.ok(Buffer.byteLength(run.output) <= OUTPUT_LIMIT + 3, `output of ${Buffer.byteLength(run.output)} bytes`);
    assert.ok(run.output.startsWith('...'));
    assert.ok(run.output.endsWith('THE END'), run.output.slice(-100));
    assert.match(run.output, /\?\[31mred\?\n/);
    // eslint-disable-next-line no-control-regex -- the escape character is what must be gone
    assert.doesNotMatch(run.output, /[\x1b\r]/);
  });

  test('exit status and stderr are reported', async () => {
    const run = await runHook(writeHook('fails', 'echo "bad things" >&2; exit 7'), EVENT, { timeoutMs: 30_000 });
    assert.equal(run.exitCode, 7);
    assert.equal(run.signal, null);
    assert.equal(run.output, 'bad things');
    assert.equal(run.error, undefined);
  });

  test('a missing or non-executable command gives an error code and no exception', async () => {
    const missing = await runHook(path.join(dir, 'does-not-exist'), EVENT, { timeoutMs: 10_000 });
    assert.equal(missing.error, 'ENOENT');
    assert.equal(missing.exitCode, null);
    const plain = path.join(dir, 'not-executable');
    fs.writeFileSync(plain, '#!/bin/sh\necho hi\n', { mode: 0o644 });
    const denied = await runHook(plain, EVENT, { timeoutMs: 10_000 });
    assert.equal(denied.error, 'EACCES');
  });
});

describe('formatHookLine', () => {
  const run: HookRun = {
    command: '/etc/mysql-failover-check/hooks/notify',
    event: 'down',
    exitCode: 0,
    signal: null,
    timedOut: false,
    killed: false,
    durationMs: 12,
    output: 'first line\nsecond "line"',
  };

  test('one key=value line, the output quoted with its newline escaped', () => {
    const line = formatHookLine(run, 'mysql-failover-snmp', new Date(Date.UTC(2024, 0, 2)));
    assert.equal(
      line,
      `2024-01-02T00:00:00.000Z mysql-failover-snmp pid=${process.pid} hook=/etc/mysql-failover-check/hooks/notify event=down ` +
        'exit=0 signal= timed_out=false killed=false duration_ms=12 output="first line\\nsecond \\"line\\""\n',
    );
  });

  test('a timed-out run, an error code, and a path with a space stay on one parseable line', () => {
    const line = formatHookLine(
      { ...run, command: '/opt/my hook', exitCode: null, signal: 'SIGKILL', timedOut: true, killed: true, error: 'ENOENT', output: '' },
      'serve',
    );
    assert.equal(line.split('\n').length, 2);
    assert.match(
      line,
      / hook="\/opt\/my hook" event=down exit= signal=SIGKILL timed_out=true killed=true duration_ms=12 error=ENOENT output=""\n$/,
    );
  });
});
