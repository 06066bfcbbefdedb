/**
 * The shipped service files, run by the real programs they are written for:
 * - services/xinetd/*: a real xinetd (Debian package) started with them (port,
 *   paths and user replaced for the test) runs the responders per connection;
 * - services/systemd/*: `systemd-analyze verify` accepts the units, and their
 *   ExecStart runs under `systemd-socket-activate --inetd --accept`, which is
 *   what Accept=yes with StandardInput=socket does;
 * - services/haproxy/haproxy.cfg: `haproxy -c` accepts it (it is run for real
 *   in test/e2e/haproxy-agent.test.ts);
 * - services/monitor.cnf: the option file those files name, parsed by the executables.
 * No database is needed: the maintenance file makes every answer DOWN
 * (maintenance) without one, which is also what these tests check.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { findExecutable, freePort, makeTempDir, registerPid } from '../support/run-dir';
import { binPath } from '../support/inetd';
import { ask, parseResponse } from '../support/exchange';
import { checkConfig } from '../support/haproxy';
import { repoPath } from '../support/repo';

const run = promisify(execFile);
const SERVICES = repoPath('services');
const children: ChildProcess[] = [];
let dir: string;
let optionFile: string;
let maintenanceFile: string;

function need(name: string, pkg: string): string {
  const p = findExecutable(name);
  if (!p) throw new Error(`${name} not found; install it with: apt-get install -y ${pkg} (npm test does so when run as root)`);
  return p;
}

function read(rel: string): string {
  return fs.readFileSync(path.join(SERVICES, rel), 'utf8');
}

/** Replaces `from` by `to` in `text`, insisting that it is there: the shipped file must not drift from what is tested. */
function replace(text: string, from: string | RegExp, to: string): string {
  const out = text.replace(from, to);
  assert.notEqual(out, text, `expected ${String(from)} in the shipped file`);
  return out;
}

/** Starts a long-running child in the foreground, registered for cleanup; resolves once `port` accepts connections. */
async function startDaemon(cmd: string, args: string[], port: number, label: string): Promise<ChildProcess> {
  const log = fs.openSync(path.join(dir, `${label}.log`), 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', log, log], cwd: dir });
  fs.closeSync(log);
  child.on('error', () => undefined);
  if (child.pid !== undefined) registerPid(child.pid, label);
  children.push(child);
  const until = Date.now() + 15_000;
  for (;;) {
    const probe = await ask(port, '', { timeoutMs: 300 }).catch(() => undefined);
    // A refused connection closes at once with an error; a listening one does not.
    if (probe !== undefined && probe.error !== 'ECONNREFUSED') return child;
    if (child.exitCode !== null || Date.now() > until) {
      throw new Error(`${label} is not listening on ${port}: ${fs.readFileSync(path.join(dir, `${label}.log`), 'utf8').slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

before(() => {
  dir = makeTempDir('svc-');
  maintenanceFile = path.join(dir, 'maintenance');
  fs.writeFileSync(maintenanceFile, '');
  // The shipped option file, with the maintenance file moved into the test directory.
  optionFile = path.join(dir, 'my.cnf');
  fs.writeFileSync(
    optionFile,
    replace(read('monitor.cnf'), 'maintenance-file = /var/lib/mysql-failover-check/maintenance', `maintenance-file = ${maintenanceFile}`),
    { mode: 0o600 },
  );
});

after(async () => {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
          setTimeout(resolve, 5_000).unref();
        }),
    ),
  );
});

describe('xinetd runs the responders from the shipped service files', () => {
  const ports = { http: 0, agent: 0 };

  before(async () => {
    const xinetd = need('xinetd', 'xinetd');
    ports.http = await freePort();
    ports.agent = await freePort();
    const service = (name: 'mysql-failover-http' | 'mysql-failover-agent', port: number): string => {
      let text = read(`xinetd/${name}`);
      text = replace(text, /port\s+= \d+/, `port            = ${port}\n        bind            = 127.0.0.1`);
      text = replace(text, `/usr/bin/${name}`, binPath(name));
      text = replace(text, '--defaults-file=/etc/mysql-failover-check/monitor.cnf', `--defaults-file=${optionFile}`);
      text = replace(text, /user\s+= mfcheck/, 'user            = root');
      return text;
    };
    const conf = path.join(dir, 'xinetd.conf');
    fs.writeFileSync(
      conf,
      [
        'defaults',
        '{',
        `        log_type        = FILE ${path.join(dir, 'xinetd-services.log')}`,
        '}',
        service('mysql-failover-http', ports.http),
        service('mysql-failover-agent', ports.agent),
      ].join('\n'),
    );
    await startDaemon(xinetd, ['-dontfork', '-f', conf, '-pidfile', path.join(dir, 'xinetd.pid')], ports.http, 'xinetd');
  });

  test('HTTP: OPTIONS, GET and HEAD answered 503 "DOWN maintenance", 400 for garbage', async () => {
    for (const method of ['OPTIONS', 'GET', 'HEAD']) {
      const r = parseResponse((await ask(ports.http, `${method} / HTTP/1.0\r\n\r\n`)).text);
      assert.equal(r.status, 503, method);
      assert.equal(r.body, method === 'HEAD' ? '' : 'DOWN maintenance\n');
    }
    assert.equal(parseResponse((await ask(ports.http, 'hello\r\n\r\n')).text).status, 400);
  });

  test('agent: "maint #maintenance" while the file exists, whether or not HAProxy sends agent-send', async () => {
    assert.equal((await ask(ports.agent, '')).text, 'maint #maintenance\n');
    assert.equal((await ask(ports.agent, 'mysql/primary\n')).text, 'maint #maintenance\n');
  });
});

describe('systemd units', () => {
  const units = [
    'mysql-failover-http.socket',
    'mysql-failover-http@.service',
    'mysql-failover-agent.socket',
    'mysql-failover-agent@.service',
  ];

  /** The ExecStart= command line of a shipped service unit, with the executable and option file of this test. */
  function execStart(unit: string, name: string): string[] {
    const line = read(`systemd/${unit}`)
      .split('\n')
      .find((l) => l.startsWith('ExecStart='));
    assert.ok(line, `${unit} has an ExecStart=`);
    const argv = line.slice('ExecStart='.length).trim().split(/\s+/);
    assert.equal(argv[0], `/usr/bin/${name}`);
    assert.deepEqual(argv.slice(1), ['--defaults-file=/etc/mysql-failover-check/monitor.cnf']);
    return [binPath(name), `--defaults-file=${optionFile}`];
  }

  test('systemd-analyze verify accepts them (socket with Accept=yes, template service reading the socket)', async () => {
    const verify = need('systemd-analyze', 'systemd');
    const unitDir = path.join(dir, 'units');
    fs.mkdirSync(unitDir);
    for (const u of units) {
      let text = read(`systemd/${u}`);
      // verify insists that ExecStart exists and is executable: point it at this checkout.
      text = text.replace(/\/usr\/bin\/(?=mysql-failover)/g, `${path.dirname(binPath('x'))}/`);
      fs.writeFileSync(path.join(unitDir, u), text);
    }
    for (const u of units) {
      const text = read(`systemd/${u}`);
      if (u.endsWith('.socket')) {
        assert.match(text, /^Accept=yes$/m);
      } else {
        assert.match(text, /^StandardInput=socket$/m);
        assert.match(text, /^StandardOutput=socket$/m);
      }
    }
    const r = await run(verify, ['verify', ...units.map((u) => path.join(unitDir, u))], { timeout: 30_000 }).catch(
      (e: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`systemd-analyze verify failed: ${e.stderr ?? ''}${e.stdout ?? ''}${e.message}`);
      },
    );
    assert.equal(`${r.stdout}${r.stderr}`.trim(), '');
  });

  test('their ExecStart answers under systemd-socket-activate --inetd --accept (what Accept=yes does)', async () => {
    const activate = need('systemd-socket-activate', 'systemd');
    for (const [unit, name] of [
      ['mysql-failover-http@.service', 'mysql-failover-http'],
      ['mysql-failover-agent@.service', 'mysql-failover-agent'],
    ] as const) {
      const port = await freePort();
      await startDaemon(
        activate,
        ['--inetd', '--accept', '--listen', `127.0.0.1:${port}`, ...execStart(unit, name)],
        port,
        `activate-${name}`,
      );
      if (name === 'mysql-failover-http') {
        const r = parseResponse((await ask(port, 'GET / HTTP/1.1\r\nHost: lb\r\n\r\n')).text);
        assert.equal(r.status, 503);
        assert.equal(r.body, 'DOWN maintenance\n');
      } else {
        assert.equal((await ask(port, '')).text, 'maint #maintenance\n');
      }
    }
  });
});

describe('haproxy.cfg example', () => {
  test('haproxy -c accepts it, and it has the pieces the README promises', () => {
    need('haproxy', 'haproxy');
    const r = checkConfig(path.join(SERVICES, 'haproxy', 'haproxy.cfg'));
    assert.ok(r.ok, r.output);
    const text = read('haproxy/haproxy.cfg');
    assert.match(text, /^\s+option httpchk\b/m);
    assert.match(text, /^\s+server primary\s+\S+ check port 9200 agent-check agent-port 9201\b/m);
    assert.match(text, /^\s+server secondary\s+\S+ check port 9200 agent-check agent-port 9201 .*\bbackup$/m);
  });
});
