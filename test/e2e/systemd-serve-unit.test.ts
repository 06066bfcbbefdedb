/**
 * services/systemd/mysql-failover-check-serve.service: `systemd-analyze
 * verify` accepts it, it runs as an unprivileged user and restarts on
 * failure, and its ExecStart (with the unit's own Environment= values and
 * this checkout's executable) starts `serve`, answers both probes and exits
 * 0 on SIGTERM; its ExecReload (SIGHUP) re-reads the option files and
 * leaves it answering. No database: the maintenance file answers without one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { findExecutable, freePort, makeTempDir } from '../support/run-dir';
import { binPath } from '../support/run-bin';
import { ask, parseResponse } from '../support/exchange';
import { ServeProcess } from '../support/serve-process';
import { repoPath } from '../support/repo';
import { until } from '../support/until';

const run = promisify(execFile);
const UNIT = 'mysql-failover-check-serve.service';
const UNIT_PATH = repoPath('services', 'systemd', UNIT);
let dir: string;
let text: string;

/** The value of the first `key=` line of the [Service] section. */
function directive(key: string): string | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${key}=`));
  return line?.slice(key.length + 1);
}

describe(`services/systemd/${UNIT}`, () => {
  before(() => {
    dir = makeTempDir('serve-unit-');
    text = fs.readFileSync(UNIT_PATH, 'utf8');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('systemd-analyze verify accepts it; unprivileged, restarted on failure, bound to loopback unless told', async () => {
    const verify = findExecutable('systemd-analyze');
    assert.ok(verify, 'systemd-analyze not found; install it with: apt-get install -y systemd');
    // verify insists that ExecStart exists and is executable: point it at this checkout.
    const unitDir = path.join(dir, 'units');
    fs.mkdirSync(unitDir);
    fs.writeFileSync(path.join(unitDir, UNIT), text.replace(/\/usr\/bin\/(?=mysql-failover)/g, `${path.dirname(binPath('x'))}/`));
    const r = await run(verify, ['verify', path.join(unitDir, UNIT)], { timeout: 30_000 }).catch(
      (e: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`systemd-analyze verify failed: ${e.stderr ?? ''}${e.stdout ?? ''}${e.message}`);
      },
    );
    assert.equal(`${r.stdout}${r.stderr}`.trim(), '');
    assert.equal(directive('Type'), 'simple');
    assert.equal(directive('Restart'), 'on-failure');
    assert.ok(directive('User') !== undefined && directive('User') !== 'root', 'runs as an unprivileged user');
    assert.equal(directive('NoNewPrivileges'), 'yes');
    assert.equal(directive('ProtectSystem'), 'strict', '/etc (the option file) stays readable, nothing is writable');
    assert.doesNotMatch(text, /0\.0\.0\.0|\[::\]/, 'no wildcard address');
  });

  test('its ExecStart serves both probes, its ExecReload keeps it serving, and it exits 0 on SIGTERM', async () => {
    const env = new Map<string, string>();
    for (const m of (directive('Environment') ?? '').matchAll(/(\w+)=(\S+)/g)) env.set(m[1] as string, m[2] as string);
    assert.match(env.get('MFC_HTTP') ?? '', /^127\.0\.0\.1:\d+$/);
    assert.match(env.get('MFC_AGENT') ?? '', /^127\.0\.0\.1:\d+$/);
    const argv = (directive('ExecStart') ?? '').trim().split(/\s+/);
    assert.equal(argv[0], '/usr/bin/mysql-failover-check');
    assert.equal(argv[1], 'serve');

    const maintenance = path.join(dir, 'maintenance');
    fs.writeFileSync(maintenance, '');
    const optionFile = path.join(dir, 'my.cnf');
    fs.writeFileSync(optionFile, `[mysql-failover-check]\nmaintenance-file=${maintenance}\n`, { mode: 0o600 });
    const ports = { MFC_HTTP: await freePort(), MFC_AGENT: await freePort() };
    const args = argv
      .slice(2)
      .map((a) =>
        a
          .replace('/etc/mysql-failover-check/monitor.cnf', optionFile)
          .replace(/\$\{(MFC_HTTP|MFC_AGENT)\}/, (_m, name: 'MFC_HTTP' | 'MFC_AGENT') => `127.0.0.1:${ports[name]}`),
      );
    assert.deepEqual(args, [`--defaults-file=${optionFile}`, `--http=127.0.0.1:${ports.MFC_HTTP}`, `--agent=127.0.0.1:${ports.MFC_AGENT}`]);

    const proc = await ServeProcess.start(args, 2);
    try {
      const r = parseResponse((await ask(ports.MFC_HTTP, 'GET / HTTP/1.1\r\nHost: lb\r\n\r\n')).text);
      assert.equal(r.status, 503);
      assert.equal(r.body, 'DOWN maintenance\n');
      assert.equal((await ask(ports.MFC_AGENT, '')).text, 'maint #maintenance\n');

      // ExecReload (systemctl reload), $MAINPID being serve's pid: the option files are read again, nothing stops.
      const reload = (directive('ExecReload') ?? '').trim().split(/\s+/);
      assert.deepEqual(reload, ['/bin/kill', '-HUP', '$MAINPID']);
      await run(reload[0] as string, [reload[1] as string, String(proc.pid)], { timeout: 10_000 });
      await until('the reload is announced', async () => /read the option files on SIGHUP: nothing changed/.test(proc.stdout), 5_000);
      assert.equal((await ask(ports.MFC_AGENT, '')).text, 'maint #maintenance\n', 'still answering after the reload');
    } finally {
      const exit = await proc.stop('SIGTERM');
      assert.equal(exit.code, 0);
      assert.equal(proc.stderr, '');
    }
  });
});
