/**
 * Re-reading the option files in the resident modes (docs/operations.md),
 * on the real pair:
 * - serve, SIGHUP with a good new file: applied (a changed --fresh shows in
 *   the log), the listeners stay open (a connection made across the HUP
 *   gets its answer);
 * - SIGHUP with a file that does not parse: refused, the old settings stay,
 *   the log and stderr say why;
 * - the password rotation of docs/operations.md with serve on both nodes,
 *   one node at a time: each node's answer is UP again after ALTER USER,
 *   the edit and a HUP, without a restart, and never are both nodes DOWN;
 * - --persist: a refused login re-reads the option files once, and a new
 *   password found there answers UP at once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Pair, MONITOR_PASSWORD, MONITOR_USER, type NodeName } from '../support/pair';
import { nodeOptionFile } from '../support/lb-setup';
import { makeTempDir } from '../support/run-dir';
import { parseResponse } from '../support/exchange';
import { PersistClient } from '../support/pass-persist-client';
import { httpGet, lines, startServed, type ServedNode } from '../support/served-node';
import { until } from '../support/until';
import { DEFAULT_PERSIST_BASE, formatOid, parsePersistBase } from '../../src/answers/oid';

const TABLE = 'status_example.lastcheck';
const NEW_PASSWORD = 'rotated#pw; "2"';
const VERDICT = `${formatOid(parsePersistBase(DEFAULT_PERSIST_BASE))}.1.0`;
const REASON = `${formatOid(parsePersistBase(DEFAULT_PERSIST_BASE))}.2.0`;

let pair: Pair;
let dir: string;
const running: ServedNode[] = [];

/** Rewrites a served node's option file with `extra` (the rest as nodeOptionFile writes it). */
function rewrite(s: ServedNode, node: NodeName, extra: Record<string, string>): void {
  const name = path
    .basename(s.file)
    .replace(/^[ab]-/, '')
    .replace(/\.cnf$/, '');
  const again = nodeOptionFile(pair, node, dir, name, { table: TABLE, timeout: '2', 'log-file': s.log, ...extra });
  assert.equal(again, s.file);
}

function reloadLines(s: ServedNode): string[] {
  return lines(s.log).filter((l) => / reload=/.test(l));
}

async function serveOn(node: NodeName, name: string, extra: Record<string, string> = {}): Promise<ServedNode> {
  const s = await startServed(pair, node, dir, name, { table: TABLE, timeout: '2', ...extra }, ['--cache=0']);
  running.push(s);
  return s;
}

/** The monitor user's password on `node` only (sql_log_bin = 0: the change stays on this node). */
async function setPassword(node: NodeName, password: string): Promise<void> {
  await pair.withConnection(node, async (conn) => {
    await conn.query('SET SESSION sql_log_bin = 0');
    for (const host of ['127.0.0.1', 'localhost']) await conn.query('ALTER USER ?@? IDENTIFIED BY ?', [MONITOR_USER, host, password]);
  });
}

/** Ends the monitor user's sessions on `node`, as wait_timeout or a server restart would: the next check logs in again. */
async function killMonitorSessions(node: NodeName): Promise<void> {
  const rows = await pair.sql(node, 'SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?', [MONITOR_USER]);
  for (const r of rows) await pair.sql(node, `KILL ${Number(r.ID)}`).catch(() => undefined);
}

describe('reloading the option files, on a real pair', () => {
  before(async () => {
    pair = await Pair.start({ name: 'reload' });
    dir = makeTempDir('reload-');
    await pair.sql('a', `UPDATE ${TABLE} SET lastcheck = UNIX_TIMESTAMP()`);
    await pair.waitCaughtUp('b');
  });
  after(async () => {
    for (const s of running) s.proc.kill();
    await pair?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('SIGHUP with a good new file: applied (the new --fresh is in the log line), and a connection made across it gets its answer', async () => {
    const s = await serveOn('a', 'hup-good', { fresh: '20' });
    assert.equal((await httpGet(s.http)).body, 'UP fresh\n');
    assert.match(lines(s.log).at(-1) ?? '', / verdict=UP reason=fresh .*<= 20 s"/);

    const early = net.connect(s.http, '127.0.0.1');
    let answer = '';
    early.setEncoding('latin1');
    early.on('data', (d: string) => (answer += d));
    const closed = new Promise<void>((resolve) => early.on('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      early.once('connect', resolve);
      early.once('error', reject);
    });

    rewrite(s, 'a', { fresh: '300' });
    process.kill(s.proc.pid as number, 'SIGHUP');
    await until('the reload is logged', async () => reloadLines(s).length === 1, 800);
    assert.match(reloadLines(s)[0] ?? '', / reload=applied trigger=SIGHUP changed="fresh"$/);
    early.write('GET / HTTP/1.1\r\nHost: lb\r\n\r\n');
    await closed;
    assert.equal(parseResponse(answer).status, 200);
    assert.match(lines(s.log).at(-1) ?? '', / verdict=UP reason=fresh .*<= 300 s"/);
    await until('stdout says it too', async () => /serve: reloaded the option files on SIGHUP: changed fresh\n/.test(s.proc.stdout), 5_000);
    assert.equal(s.proc.stderr, '');
  });

  test('SIGHUP with a file that does not parse: refused, the old settings stay, the log and stderr say why', async () => {
    const s = await serveOn('a', 'hup-broken', { fresh: '20' });
    assert.equal((await httpGet(s.http)).status, 200);
    const good = fs.readFileSync(s.file, 'utf8');
    fs.writeFileSync(s.file, `fresh=1\n${good.replace('fresh=20', 'fresh=1')}`);
    process.kill(s.proc.pid as number, 'SIGHUP');
    await until('the refusal is logged', async () => reloadLines(s).length === 1, 5_000);
    assert.match(reloadLines(s)[0] ?? '', / reload=refused trigger=SIGHUP error=OPTION_FILE_SYNTAX detail=".*line 1.*"$/);
    // stderr comes through a pipe: it may arrive after the log line.
    await until('stderr says it too', async () => /serve: kept the old configuration on SIGHUP: .*line 1/.test(s.proc.stderr), 5_000);
    const r = await httpGet(s.http);
    assert.equal(r.status, 200);
    assert.match(lines(s.log).at(-1) ?? '', / verdict=UP reason=fresh .*<= 20 s"/, 'still --fresh 20');
  });

  test('--persist: a refused login re-reads the option files once; a new password found there answers UP at once', async () => {
    const log = path.join(dir, 'persist.log');
    const cnf = nodeOptionFile(pair, 'a', dir, 'persist', { table: TABLE, timeout: '2', 'log-file': log });
    const client = new PersistClient([`--defaults-file=${cnf}`, '--cache=0']);
    try {
      assert.equal((await client.ask(`get\n${VERDICT}\n`))[2], '100');
      await setPassword('a', NEW_PASSWORD);
      await setPassword('b', NEW_PASSWORD);
      await killMonitorSessions('a');
      // The old password is refused; the file still holds it: read once, nothing changed, DOWN.
      assert.equal((await client.ask(`get\n${VERDICT}\n`))[2], '200');
      assert.equal((await client.ask(`get\n${REASON}\n`))[2], 'local-auth-failed');
      assert.deepEqual(
        lines(log)
          .filter((l) => / reload=/.test(l))
          .map((l) => / reload=(\S+) trigger=(\S+)/.exec(l)?.slice(1).join(' ')),
        ['unchanged login-refused'],
        'one re-read for one refused login',
      );
      // The operator edits the file; no signal, no restart: the next refused login finds it.
      nodeOptionFile(pair, 'a', dir, 'persist', { table: TABLE, timeout: '2', 'log-file': log, password: NEW_PASSWORD });
      await until('UP again', async () => (await client.ask(`get\n${VERDICT}\n`))[2] === '100', 15_000);
      const reloads = lines(log).filter((l) => / reload=/.test(l));
      assert.match(reloads.at(-1) ?? '', / reload=applied trigger=login-refused changed="password,peer-password"$/);
      assert.doesNotMatch(fs.readFileSync(log, 'utf8'), /rotated#pw/);
    } finally {
      await client.close();
      await setPassword('a', MONITOR_PASSWORD);
      await setPassword('b', MONITOR_PASSWORD);
    }
  });

  test('the password rotation of docs/operations.md: one node at a time, UP again after a HUP, never both nodes DOWN', async () => {
    const a = await serveOn('a', 'rot-a');
    const b = await serveOn('b', 'rot-b');
    // Both answers, over and over, for the whole rotation: [a's body, b's body].
    const samples: Array<[string, string]> = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [x, y] = await Promise.all([httpGet(a.http), httpGet(b.http)]);
        samples.push([x.body, y.body]);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const seen = async (what: string, ok: (s: [string, string]) => boolean): Promise<void> => {
      const from = samples.length;
      await until(what, async () => samples.slice(from).some(ok), 10_000);
    };
    /** A few more samples, so that each step is watched for a while. */
    const watch = async (): Promise<void> => {
      const from = samples.length;
      await until('more samples', async () => samples.length >= from + 10, 10_000);
    };
    const up = (body: string): boolean => body.startsWith('UP ');
    const refused = 'DOWN local-auth-failed\n';
    try {
      await seen('both UP', ([x, y]) => up(x) && up(y));

      // Node a: ALTER USER there only, then its file (its peer b still has the old password), then HUP.
      await setPassword('a', NEW_PASSWORD);
      await killMonitorSessions('a'); // as if its sessions were closed before the edit: the worst case
      await seen('a refuses its own old password', ([x]) => x === refused);
      await watch();
      rewrite(a, 'a', { password: NEW_PASSWORD, 'peer-password': MONITOR_PASSWORD });
      process.kill(a.proc.pid as number, 'SIGHUP');
      await seen('a is UP again', ([x]) => up(x));
      await watch();

      // Node b the same way; then a's peer password follows.
      await setPassword('b', NEW_PASSWORD);
      await killMonitorSessions('b');
      await seen('b refuses its own old password', ([, y]) => y === refused);
      await watch();
      rewrite(b, 'b', { password: NEW_PASSWORD });
      process.kill(b.proc.pid as number, 'SIGHUP');
      await seen('b is UP again', ([, y]) => up(y));
      rewrite(a, 'a', { password: NEW_PASSWORD });
      process.kill(a.proc.pid as number, 'SIGHUP');
      await until('a applied its peer password', async () => reloadLines(a).some((l) => /changed="peer-password"/.test(l)), 5_000);
      await watch();
      await seen('both UP at the end', ([x, y]) => up(x) && up(y));
    } finally {
      sampling = false;
      await sampler;
      await setPassword('a', MONITOR_PASSWORD);
      await setPassword('b', MONITOR_PASSWORD);
    }
    assert.deepEqual(
      samples.filter(([x, y]) => !up(x) && !up(y)),
      [],
      'never both DOWN',
    );
    assert.equal(a.proc.stderr + b.proc.stderr, '');
  });
});
