/**
 * The README's quick start, run verbatim against the real pair, so that the
 * README cannot drift from the code again: every ```sh block of its "Quick
 * start" section, in order, in one bash with `set -euo pipefail`, as root.
 *
 * It runs in a private mount namespace (`unshare --mount`) so that the paths
 * the README names are real without touching the machine's: /run/mysqld
 * holds a symlink to node a's socket (so the `mariadb` client and the
 * default --socket reach the pair), /etc/mysql-failover-check and
 * /var/log/mysql-failover-check are throwaway tmpfs. What the README leaves
 * to the reader comes from the environment, as it says: DB1 and DB2 (the two
 * addresses: 127.0.0.1 here), npm's global prefix (a temporary directory, on
 * PATH) and npm_config_ignore_scripts (the package is already built by the
 * test command; `npm pack` would only build it again).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Pair } from '../support/pair';
import { makeTempDir } from '../support/run-dir';
import { repoPath } from '../support/repo';

const ROOT = repoPath();
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const MOUNTS = ['/run/mysqld', '/etc/mysql-failover-check', '/var/log/mysql-failover-check'];

/** The ```sh blocks of the README's "Quick start" section, in order. */
export function quickStartBlocks(readme: string): string[] {
  const at = readme.indexOf('\n## Quick start');
  assert.ok(at >= 0, 'README.md has a "Quick start" section');
  const section = readme.slice(at + 1).split('\n## ')[0] ?? '';
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
}

let pair: Pair;
let dir: string;
const created: string[] = [];

describe("the README's quick start, verbatim, on a real pair", () => {
  before(async () => {
    pair = await Pair.start({ name: 'readme' });
    dir = makeTempDir('readme-');
    // A pair as the README's reader has it: without the harness's own monitor account, which has the README's name.
    for (const node of ['a', 'b'] as const) {
      await pair.withConnection(node, async (conn) => {
        await conn.query('SET SESSION sql_log_bin = 0');
        for (const host of ['localhost', '127.0.0.1']) await conn.query('DROP USER IF EXISTS ?@?', [pair.monitorUser, host]);
      });
    }
    // snmpd's user runs the installed executables (npm's prefix is in here), as from /usr on a real host.
    fs.chmodSync(dir, 0o755);
    // snmpd's user must reach node a's socket through the symlink, as it reaches /run/mysqld on a real host.
    for (let d = path.dirname(pair.a.socket); d !== '/'; d = path.dirname(d)) fs.chmodSync(d, fs.statSync(d).mode | 0o011);
    for (const m of MOUNTS) {
      if (!fs.existsSync(m)) {
        fs.mkdirSync(m, { recursive: true });
        created.push(m);
      }
    }
  });
  after(async () => {
    for (const m of created.reverse()) fs.rmSync(m, { recursive: true, force: true });
    for (const f of fs.readdirSync(ROOT)) if (/^mysql-failover-check-.*\.tgz$/.test(f)) fs.rmSync(path.join(ROOT, f));
    await pair?.destroy();
  });

  test('the quick start has its blocks: install, accounts and setup, the option file, the checks', () => {
    const blocks = quickStartBlocks(README);
    assert.ok(blocks.length >= 4, `found ${blocks.length} sh blocks`);
    assert.match(blocks.join('\n'), /mysql-failover-check setup /);
    assert.match(blocks.join('\n'), /mysql-failover-snmp --defaults-file \/etc\/mysql-failover-check\/monitor\.cnf/);
  });

  test("run as written, it ends with a node that would take traffic, and snmpd's user gets 100", (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root: a private mount namespace and the Debian-snmp user');
      return;
    }
    const prefix = path.join(dir, 'npm-global');
    const script = [
      'set -euo pipefail -x',
      `mount -t tmpfs tmpfs /run/mysqld`,
      `ln -s '${pair.a.socket}' /run/mysqld/mysqld.sock`,
      'mount -t tmpfs tmpfs /etc/mysql-failover-check',
      'mount -t tmpfs tmpfs /var/log/mysql-failover-check',
      `export DB1=127.0.0.1 DB2=127.0.0.1`,
      `export npm_config_prefix='${prefix}' npm_config_ignore_scripts=true npm_config_audit=false npm_config_fund=false`,
      `export PATH='${prefix}/bin':"$PATH"`,
      `cd '${ROOT}'`,
      ...quickStartBlocks(README).map((b, i) => `echo '=== block ${i + 1}'\n${b}`),
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'quick-start.sh'), script);
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'bash', path.join(dir, 'quick-start.sh')], {
      encoding: 'utf8',
      timeout: 150_000,
      // The caller's environment: npm reaches its registry with the machine's settings (CA, proxy).
      env: { ...process.env, LANG: 'C.UTF-8' },
    });
    const transcript = `${r.stdout}\n--- stderr ---\n${r.stderr}`;
    assert.equal(r.status, 0, transcript);
    assert.match(r.stdout, /^verdict {7}UP \((caught-up|fresh)\)/m, transcript);
    assert.match(r.stdout, /both nodes would take traffic/, transcript);
    assert.match(r.stdout, /^100$/m, transcript);
  });
});
