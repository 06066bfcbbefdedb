/**
 * The shipped monitoring configs (nagios/):
 * - the Icinga 2 CheckCommand and examples pass `icinga2 daemon -C` (Debian's
 *   icinga2-bin), and a deliberately broken copy does not (so the validator
 *   really reads our file);
 * - the CheckCommand has every plugin option as an argument, and only those;
 * - every Nagios Core command line, macro-expanded as Nagios would with the
 *   service template's arguments, runs the plugin with options it accepts
 *   (CRITICAL for the closed port we point it at, not UNKNOWN), the pool's
 *   as well (CRITICAL: no node would take traffic).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findExecutable, freePort, makeTempDir } from '../support/run-dir';
import { BIN_DIR, cleanEnv } from '../support/run-bin';
import { PLUGIN_OPTIONS } from '../../src/cli/check_mysql_failover';
import { repoPath } from '../support/repo';

const run = promisify(execFile);
const ROOT = repoPath();
const ICINGA_CONF = join(ROOT, 'nagios', 'icinga2', 'check_mysql_failover.conf');
const ICINGA_EXAMPLE = join(ROOT, 'nagios', 'icinga2', 'example-services.conf');
const NAGIOS_CFG = join(ROOT, 'nagios', 'nagios-core', 'mysql-failover.cfg');
const icinga2 = findExecutable('icinga2');

interface Validation {
  code: number;
  output: string;
}

/** icinga2 daemon -C on a main file that includes `files`, with every path under `dir` (nothing in /var, no privilege drop). */
async function validate(dir: string, files: string[]): Promise<Validation> {
  const main = join(dir, 'icinga2.conf');
  writeFileSync(
    main,
    [
      'const PluginDir = "/usr/lib/nagios/plugins"',
      'const PluginContribDir = "/usr/lib/nagios/plugins"',
      'const ManubulonPluginDir = "/usr/lib/nagios/plugins"',
      'const NodeName = "mfc-test"',
      'const ZoneName = "mfc-test"',
      'const TicketSalt = ""',
      'include <itl>',
      'include <plugins>',
      ...files.map((f) => `include ${JSON.stringify(f)}`),
    ].join('\n') + '\n',
  );
  for (const d of ['cache', 'log']) mkdirSync(join(dir, d), { recursive: true });
  const args = [
    'daemon',
    '-C',
    '-c',
    main,
    `-DConfiguration.CacheDir=${join(dir, 'cache')}`,
    `-DConfiguration.LogDir=${join(dir, 'log')}`,
    '-DConfiguration.RunAsUser=root',
    '-DConfiguration.RunAsGroup=root',
  ];
  try {
    const { stdout, stderr } = await run(icinga2 as string, args, { timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

describe('Icinga 2 CheckCommand', () => {
  test(
    'passes icinga2 daemon -C; a broken copy fails',
    { skip: icinga2 === undefined ? 'icinga2 not installed (Debian package icinga2-bin)' : false },
    async () => {
      const dir = makeTempDir('icinga-');
      const ok = await validate(dir, [ICINGA_CONF, ICINGA_EXAMPLE]);
      assert.equal(ok.code, 0, ok.output);
      // Each node's service twice, and the pair's once.
      assert.match(ok.output, /Instantiated 3 Services/);
      assert.match(ok.output, /Finished validating the configuration/);

      const broken = join(dir, 'broken.conf');
      writeFileSync(
        broken,
        readFileSync(ICINGA_CONF, 'utf8').replace('set_if = "$mysql_failover_verbose$"', 'set_iff = "$mysql_failover_verbose$"'),
      );
      const bad = await validate(dir, [broken, ICINGA_EXAMPLE]);
      assert.notEqual(bad.code, 0, 'a broken copy must fail validation');
      assert.match(bad.output, /set_iff/);
    },
  );

  test('every plugin option is an argument, with a mysql_failover_* variable named after it', () => {
    const text = readFileSync(ICINGA_CONF, 'utf8');
    const args = [...text.matchAll(/^\s{4}"(-[^"]+)" = \{\s*\n\s*(value|set_if) = "\$([a-z_]+)\$"/gm)].map((m) => ({
      key: m[1] as string,
      kind: m[2] as string,
      variable: m[3] as string,
    }));
    const expected = PLUGIN_OPTIONS.filter((s) => s.cli !== false && s.name !== 'help' && s.name !== 'version');
    const byFlag = new Map<string, (typeof expected)[number]>();
    for (const s of expected) {
      byFlag.set(`--${s.name}`, s);
      if (s.short) byFlag.set(`-${s.short}`, s);
    }
    const covered = new Set<string>();
    for (const a of args) {
      const spec = byFlag.get(a.key);
      assert.ok(spec, `argument ${a.key} is not a plugin option`);
      assert.equal(a.variable, `mysql_failover_${spec.name.replace(/-/g, '_')}`, `variable of ${a.key}`);
      assert.equal(a.kind, spec.kind === 'boolean' ? 'set_if' : 'value', `${a.key}: booleans use set_if`);
      assert.ok(!covered.has(spec.name), `${spec.name} appears twice`);
      covered.add(spec.name);
    }
    assert.deepEqual(
      expected.map((s) => s.name).filter((n) => !covered.has(n)),
      [],
      'plugin options missing from the CheckCommand',
    );
    assert.doesNotMatch(
      text,
      /\$[a-z_]*password[a-z_]*\$|"-[-a-z]*password/i,
      'no password variables: credentials belong in the option file',
    );
  });
});

/** The `define TYPE { key value }` blocks of a Nagios object file. */
function nagiosObjects(text: string): Array<{ type: string; attrs: Map<string, string> }> {
  const lines = text.split('\n').filter((l) => !/^\s*(#|;|$)/.test(l));
  const objects: Array<{ type: string; attrs: Map<string, string> }> = [];
  let current: { type: string; attrs: Map<string, string> } | undefined;
  for (const line of lines) {
    const open = /^\s*define\s+(\w+)\s*\{\s*$/.exec(line);
    if (open) {
      assert.equal(current, undefined, `nested define: ${line}`);
      current = { type: open[1] as string, attrs: new Map() };
      continue;
    }
    if (/^\s*\}\s*$/.test(line)) {
      assert.ok(current, 'unbalanced }');
      objects.push(current);
      current = undefined;
      continue;
    }
    const kv = /^\s*(\S+)\s+(.*?)\s*$/.exec(line);
    assert.ok(current && kv, `line outside a definition or without a value: ${line}`);
    current.attrs.set(kv[1] as string, kv[2] as string);
  }
  assert.equal(current, undefined, 'unterminated define');
  return objects;
}

describe('Nagios Core objects', () => {
  test('commands expand to plugin invocations the plugin accepts', async () => {
    const objects = nagiosObjects(readFileSync(NAGIOS_CFG, 'utf8'));
    const commands = new Map(
      objects
        .filter((o) => o.type === 'command')
        .map((o) => [o.attrs.get('command_name') as string, o.attrs.get('command_line') as string]),
    );
    assert.deepEqual([...commands.keys()].sort(), ['check_mysql_failover', 'check_mysql_failover_pool', 'check_mysql_failover_verbose']);
    const templateArgs = new Map<string, string[]>();
    for (const name of ['mysql-failover', 'mysql-failover-pool']) {
      const template = objects.find((o) => o.type === 'service' && o.attrs.get('name') === name);
      assert.ok(template, `service template ${name}`);
      assert.equal(template.attrs.get('register'), '0');
      const [commandName, ...args] = (template.attrs.get('check_command') as string).split('!');
      assert.ok(commands.has(commandName as string), `template uses an undefined command ${commandName}`);
      templateArgs.set(commandName as string, args);
    }
    assert.ok(templateArgs.has('check_mysql_failover_pool'), 'the pool template runs the pool command');

    const dir = makeTempDir('nagios-cfg-');
    const closed = await freePort();
    const optionFile = join(dir, 'mysql-failover.cnf');
    writeFileSync(optionFile, `[client]\nuser=nagios_test\npassword=not-used-pw\nport=${closed}\n`, { mode: 0o600 });
    for (const [name, line] of commands) {
      // As Nagios does: $USERn$, $ARGn$ and host macros substituted, then /bin/sh -c (the line has quotes).
      const args = [optionFile, ...(templateArgs.get(name) ?? templateArgs.get('check_mysql_failover_verbose') ?? []).slice(1)];
      const expanded = line
        .replace(/\$USER1\$/g, BIN_DIR)
        .replace(/\$ARG(\d+)\$/g, (_m, n: string) => args[Number(n) - 1] ?? '')
        .replace(/\$HOSTADDRESS\$/g, '127.0.0.1')
        .replace(/\$_HOSTMYSQL_PEER\$/g, `127.0.0.1:${closed}`);
      assert.doesNotMatch(expanded, /\$[A-Z_0-9]+\$/, `unexpanded macro in ${name}`);
      let stdout: string;
      let code = 0;
      try {
        ({ stdout } = await run('/bin/sh', ['-c', expanded], { env: cleanEnv(), timeout: 30_000 }));
      } catch (e) {
        const err = e as { code?: number; stdout?: string };
        code = err.code ?? -1;
        stdout = err.stdout ?? '';
      }
      assert.equal(code, 2, `${name}: ${expanded}\n${stdout}`);
      const critical = name.endsWith('_pool')
        ? /^MYSQL FAILOVER CRITICAL - no node would take traffic/
        : /^MYSQL FAILOVER CRITICAL - local server: connect: ECONNREFUSED/;
      assert.match(stdout, critical, `${name}: ${stdout}`);
      assert.doesNotMatch(stdout, /not-used-pw/);
      if (name.endsWith('_verbose')) assert.match(stdout, /\ndecision: => DOWN \(local-unreachable\)\n/);
      if (name.endsWith('_pool')) assert.match(stdout, /'nodes_up'=0;;;0;2/);
    }
  });
});
