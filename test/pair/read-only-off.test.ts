/**
 * hooks/read-only-off on the real MariaDB pair, run the way serve runs a
 * hook (runHook: argv, whitelisted environment), through the wrapper
 * hooks/README.md tells operators to write: on `peer-lost` it turns
 * read_only OFF on its node with an account of its own and prints one line;
 * on any other event it changes nothing and prints nothing. The grant the
 * README names for this flavour is enough, and SUPER alone is not (MariaDB
 * >= 10.11 took READ_ONLY ADMIN out of SUPER).
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runHook, type HookEvent } from '../../src/io/hook-runner';
import { Pair, quoteOptionValue } from '../support/pair';
import { makeTempDir } from '../support/run-dir';
import { SAMPLE_EVENT } from '../support/hooks';

const HOOK = path.resolve(__dirname, '..', '..', '..', 'hooks', 'read-only-off');
/** Needs '#', ';', '"' and a space quoted right in the option file. */
const HOOK_PASSWORD = 'ro#off; "pw" 2';

let pair: Pair;
let dir: string;
let version: string;

before(async () => {
  pair = await Pair.start({ name: 'rooff' });
  dir = makeTempDir('rooff-');
  const [row] = await pair.sql('a', 'SELECT VERSION() AS v');
  version = String(row?.v);
  await pair.withConnection('a', async (conn) => {
    // Node a only: the hook acts on its own node, and these accounts are the test's.
    await conn.query('SET SESSION sql_log_bin = 0');
    await conn.query("CREATE USER 'failover_hook'@'localhost' IDENTIFIED BY ?", [HOOK_PASSWORD]);
    await conn.query("GRANT READ_ONLY ADMIN ON *.* TO 'failover_hook'@'localhost'");
    await conn.query("CREATE USER 'super_only'@'localhost' IDENTIFIED BY ?", [HOOK_PASSWORD]);
    await conn.query("GRANT SUPER ON *.* TO 'super_only'@'localhost'");
  });
});

after(() => pair?.destroy());

beforeEach(async () => {
  await pair.sql('a', 'SET GLOBAL read_only = ON');
});

/** The option file the README describes, for `user`, and the wrapper that points the hook at it. */
function wrapperFor(user: string): string {
  const cnf = path.join(dir, `${user}.cnf`);
  const lines = [
    '[client_failover_hook]',
    `user=${quoteOptionValue(user)}`,
    `password=${quoteOptionValue(HOOK_PASSWORD)}`,
    `socket=${quoteOptionValue(pair.a.socket)}`,
  ];
  fs.writeFileSync(cnf, lines.join('\n') + '\n', { mode: 0o600 });
  const wrapper = path.join(dir, `read-only-off-${user}`);
  fs.writeFileSync(wrapper, `#!/bin/sh\nFAILOVER_HOOK_DEFAULTS_FILE='${cnf}' exec '${HOOK}' "$@"\n`, { mode: 0o755 });
  return wrapper;
}

function event(name: string): HookEvent {
  return { ...SAMPLE_EVENT, event: name, node: 'a', peer: 'b', from: 'reachable', to: 'unreachable', reason: 'peer-unreachable' };
}

async function readOnly(): Promise<number> {
  const [row] = await pair.sql('a', 'SELECT @@GLOBAL.read_only AS ro');
  return Number(row?.ro);
}

describe('hooks/read-only-off', () => {
  test('the installed server is one where READ_ONLY ADMIN exists (MariaDB >= 10.5.2)', () => {
    const m = /^(\d+)\.(\d+)\.(\d+)-MariaDB/.exec(version);
    assert.ok(m, `not a MariaDB version: ${version}`);
    const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
    assert.ok(major > 10 || (major === 10 && (minor > 5 || (minor === 5 && patch >= 2))), version);
  });

  test('on peer-lost it turns read_only OFF with READ_ONLY ADMIN, and says so in one line', async () => {
    const run = await runHook(wrapperFor('failover_hook'), event('peer-lost'), { timeoutMs: 30_000 });
    assert.equal(run.exitCode, 0, run.output);
    assert.equal(run.output, 'read-only-off: read_only turned OFF on a (peer lost: peer-unreachable)');
    assert.equal(await readOnly(), 0);
  });

  test('run again when already OFF, it says it changed nothing', async () => {
    await pair.sql('a', 'SET GLOBAL read_only = OFF');
    const run = await runHook(wrapperFor('failover_hook'), event('peer-lost'), { timeoutMs: 30_000 });
    assert.equal(run.exitCode, 0, run.output);
    assert.equal(run.output, 'read-only-off: read_only was already OFF on a (peer lost: peer-unreachable); nothing changed');
    assert.equal(await readOnly(), 0);
  });

  test('on every other event it changes nothing and prints nothing', async () => {
    for (const name of ['down', 'up', 'failed', 'recovered', 'peer-back', 'maintenance-on', 'maintenance-off']) {
      const run = await runHook(wrapperFor('failover_hook'), event(name), { timeoutMs: 30_000 });
      assert.equal(run.exitCode, 0, `${name}: ${run.output}`);
      assert.equal(run.output, '', name);
      assert.equal(await readOnly(), 1, `${name} changed read_only`);
    }
  });

  test('SUPER alone: enough before MariaDB 10.11, not from 10.11 on (one line, exit non-zero, read_only stays ON)', async () => {
    const [major, minor] = version.split('.').map(Number) as [number, number];
    const run = await runHook(wrapperFor('super_only'), event('peer-lost'), { timeoutMs: 30_000 });
    if (major === 10 && minor < 11) {
      assert.equal(run.exitCode, 0, run.output);
      assert.equal(await readOnly(), 0);
      return;
    }
    assert.notEqual(run.exitCode, 0);
    assert.equal(run.output.split('\n').length, 1, run.output);
    assert.match(run.output, /^read-only-off: could not turn read_only OFF on a: .*READ_ONLY ADMIN/);
    assert.equal(await readOnly(), 1);
  });

  test('an unreadable option file is one line and a failure, and nothing changes', async () => {
    const wrapper = path.join(dir, 'read-only-off-missing');
    fs.writeFileSync(wrapper, `#!/bin/sh\nFAILOVER_HOOK_DEFAULTS_FILE='${path.join(dir, 'nope.cnf')}' exec '${HOOK}' "$@"\n`, {
      mode: 0o755,
    });
    const run = await runHook(wrapper, event('peer-lost'), { timeoutMs: 30_000 });
    assert.equal(run.exitCode, 1);
    assert.match(run.output, /^read-only-off: cannot read \S+nope\.cnf; read_only left as it was on a$/);
    assert.equal(await readOnly(), 1);
  });
});
