/**
 * The bundled executables (scripts/build.js) and how the bin/ shims load
 * them (launcher/bundle-loader.ts): the bundle must answer exactly like the tsc
 * output, and every way the code cache or the bundle can be wrong (missing,
 * from another build or Node, rejected by V8, damaged, unwritable) must still
 * give the right answer with nothing on stderr.
 *
 * Each case runs in its own copy of a package built here from the current
 * tsc output (`npm test` runs tsc only, after which the shims rightly do not
 * use the worktree's own dist/bundle: it may be stale).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BUNDLE_ID_PREFIX, CHUNK_PREFIX, MODULE_WRAPPER } from '../../launcher/bundle-loader';
import { Pair } from '../support/pair';
import { nodeOptionFile } from '../support/lb-setup';
import { cleanEnv } from '../support/run-bin';
import { freePort, makeTempDir } from '../support/run-dir';
import { repoPath } from '../support/repo';

const REPO = repoPath();
const EXECUTABLES = Object.keys((JSON.parse(fs.readFileSync(join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin);
const SNMP = 'mysql-failover-snmp';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs bin/NAME of a package copy the way snmpd does: its own process, a clean environment. */
function runIn(root: string, name: string, args: readonly string[], opts: { uid?: number; gid?: number } = {}): Run {
  const r = spawnSync(process.execPath, [join(root, 'bin', name), ...args], {
    env: cleanEnv(),
    input: '',
    encoding: 'utf8',
    timeout: 30_000,
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid } : {}),
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A package as npm would install it, with dist/bundle built by scripts/build.js from the current tsc output. */
function buildPackage(dir: string): string {
  const root = join(dir, 'pkg');
  fs.mkdirSync(join(root, 'dist'), { recursive: true });
  fs.mkdirSync(join(root, 'scripts'));
  fs.cpSync(join(REPO, 'bin'), join(root, 'bin'), { recursive: true });
  fs.cpSync(join(REPO, 'dist', 'bin'), join(root, 'dist', 'bin'), { recursive: true });
  fs.cpSync(join(REPO, 'dist', 'src'), join(root, 'dist', 'src'), { recursive: true });
  fs.cpSync(join(REPO, 'dist', 'launcher'), join(root, 'dist', 'launcher'), { recursive: true });
  for (const f of fs.readdirSync(join(REPO, 'scripts')).filter((f) => f.startsWith('build'))) {
    fs.copyFileSync(join(REPO, 'scripts', f), join(root, 'scripts', f));
  }
  fs.copyFileSync(join(REPO, 'package.json'), join(root, 'package.json'));
  fs.symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build.js'), '--no-tsc'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `scripts/build.js --no-tsc failed: ${r.stderr}`);
  return root;
}

/** A fresh copy of the built package (the cases below damage theirs); like an unpacked tarball, no timestamps kept. */
function copyOf(root: string, dir: string, name: string): string {
  const copy = join(dir, name);
  fs.cpSync(root, copy, { recursive: true, verbatimSymlinks: true });
  return copy;
}

/** A copy without the tsc output of the executables: whatever answers there, the bundle answered. */
function bundleOnlyCopy(root: string, dir: string, name: string): string {
  const copy = copyOf(root, dir, name);
  fs.rmSync(join(copy, 'dist', 'bin'), { recursive: true });
  return copy;
}

function cacheFile(root: string, name = SNMP): string {
  return join(root, 'dist', 'bundle', `${name}.cache`);
}

function bundleFile(root: string, name = SNMP): string {
  return join(root, 'dist', 'bundle', `${name}.js`);
}

/** The cache header line: "mfc-code-cache 2 <node> <arch> <bundle id> <payload bytes>". */
function cacheHeader(root: string, name = SNMP): string[] {
  return cacheHeaderOf(cacheFile(root, name));
}

function cacheHeaderOf(file: string): string[] {
  const buf = fs.readFileSync(file);
  return buf.toString('latin1', 0, buf.indexOf(0x0a)).split(' ');
}

/** The driver's chunk (scripts/build.js, CHUNKS) and its cache. */
function driverChunk(root: string): { bundle: string; cache: string } {
  const dir = join(root, 'dist', 'bundle');
  return { bundle: join(dir, 'chunk-mysql2.js'), cache: join(dir, 'chunk-mysql2.cache') };
}

function idOf(bundleFile: string): string {
  const source = fs.readFileSync(bundleFile, 'latin1');
  return source.slice(BUNDLE_ID_PREFIX.length, source.indexOf('\n'));
}

function leftovers(root: string): string[] {
  return fs.readdirSync(join(root, 'dist', 'bundle')).filter((f) => f.endsWith('.tmp'));
}

let dir: string;
let built: string;

before(() => {
  dir = makeTempDir('bundle-');
  built = buildPackage(dir);
});

describe('bundled executables', () => {
  test('the build leaves a bundle and a code cache for every executable', () => {
    for (const name of EXECUTABLES) {
      const source = fs.readFileSync(bundleFile(built, name), 'latin1');
      assert.ok(source.startsWith(BUNDLE_ID_PREFIX), `${name}: bundle starts with its id`);
      const header = cacheHeader(built, name);
      assert.equal(header[0], 'mfc-code-cache');
      assert.equal(header[4], source.slice(BUNDLE_ID_PREFIX.length, source.indexOf('\n')), `${name}: cache for this bundle`);
      assert.ok(!source.includes('createConnection='), `${name}: the driver is not in the bundle`);
      assert.ok(source.includes(`${CHUNK_PREFIX}mysql2@${idOf(driverChunk(built).bundle)}`), `${name}: it names the driver chunk built`);
    }
    assert.equal(cacheHeaderOf(driverChunk(built).cache)[4], idOf(driverChunk(built).bundle), 'the driver chunk has its cache');
  });

  test('the bundle alone (no dist/bin) and the tsc output alone (no dist/bundle) print the same --help and --version', () => {
    const bundleOnly = bundleOnlyCopy(built, dir, 'bundle-only');
    const tscOnly = copyOf(built, dir, 'tsc-only');
    fs.rmSync(join(tscOnly, 'dist', 'bundle'), { recursive: true });
    for (const name of EXECUTABLES) {
      for (const flag of ['--help', '--version']) {
        const fromBundle = runIn(bundleOnly, name, [flag]);
        const fromTsc = runIn(tscOnly, name, [flag]);
        assert.equal(fromBundle.stderr, '', `${name} ${flag} (bundle): stderr`);
        assert.equal(fromTsc.stderr, '', `${name} ${flag} (tsc): stderr`);
        assert.ok(fromTsc.stdout.length > 0, `${name} ${flag}: some output`);
        assert.equal(fromBundle.stdout, fromTsc.stdout, `${name} ${flag}: same output`);
        assert.equal(fromBundle.code, fromTsc.code, `${name} ${flag}: same exit code`);
      }
    }
  });

  test('a bundle the tsc output does not name (another build, or tsc run alone afterwards) is not used', () => {
    const root = copyOf(built, dir, 'stale-bundle');
    const reference = runIn(root, SNMP, ['--help']);
    const impostor = (id: string): string =>
      `${BUNDLE_ID_PREFIX}${id}\n${MODULE_WRAPPER[0]}exports.main = async () => { process.stdout.write('impostor\\n'); return 0; };\nexports.fatal = () => 0;${MODULE_WRAPPER[1]}\n`;
    const compiled = join(root, 'dist', 'bin', `${SNMP}.js`);
    const tscText = fs.readFileSync(compiled, 'latin1');
    const idLine = tscText.slice(tscText.lastIndexOf(BUNDLE_ID_PREFIX));
    fs.rmSync(cacheFile(root));

    // Another build's bundle.
    fs.writeFileSync(bundleFile(root), impostor('0'));
    const other = runIn(root, SNMP, ['--help']);
    assert.equal(other.stdout, reference.stdout);
    assert.equal(other.stderr, '');

    // The named bundle, but tsc ran since (its output no longer ends with the id line).
    fs.writeFileSync(bundleFile(root), impostor(idLine.slice(BUNDLE_ID_PREFIX.length, -1)));
    assert.equal(runIn(root, SNMP, ['--help']).stdout, 'impostor\n', 'the named bundle is what runs');
    fs.writeFileSync(compiled, tscText.slice(0, -idLine.length));
    const afterTsc = runIn(root, SNMP, ['--help']);
    assert.equal(afterTsc.stdout, reference.stdout);
    assert.equal(afterTsc.stderr, '');
  });

  test("the build's lazy modules load on first use, and a callable one can be called and constructed", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { lazyModule } = require(join(REPO, 'scripts', 'build.js')) as { lazyModule: (expression: string, callable?: boolean) => string };
    const file = join(dir, 'lazy-target.js');
    fs.writeFileSync(
      file,
      'globalThis.lazyLoads = (globalThis.lazyLoads ?? 0) + 1;\n' +
        'class Pair { constructor(a, b) { this.a = a; this.b = b; } static of(a, b) { return new Pair(a, b); } sum() { return this.a + this.b; } }\n' +
        'module.exports = Pair;\n',
    );
    const evaluate = (text: string): unknown => {
      const mod = { exports: {} as unknown };
      new Function('module', 'require', text)(mod, require);
      return mod.exports;
    };
    const loads = (): number => (globalThis as { lazyLoads?: number }).lazyLoads ?? 0;
    const Lazy = evaluate(lazyModule(`require(${JSON.stringify(file)})`, true)) as new (a: number, b: number) => { sum(): number };
    assert.equal(loads(), 0, 'not loaded by the require');
    assert.equal(typeof Lazy, 'function');
    const made = new Lazy(1, 2);
    assert.equal(loads(), 1);
    assert.equal(made.sum(), 3);
    assert.ok(made instanceof Lazy);
    assert.equal((Lazy as unknown as { of(a: number, b: number): { sum(): number } }).of(2, 3).sum(), 5);
    const plain = evaluate(lazyModule("require('node:path')")) as typeof import('node:path');
    assert.equal(typeof plain, 'object');
    assert.equal(plain.join('a', 'b'), join('a', 'b'));
    assert.ok(Object.keys(plain).includes('join'));
  });

  test('a damaged bundle (truncated) falls back to the tsc output', () => {
    const root = copyOf(built, dir, 'truncated-bundle');
    const reference = runIn(root, SNMP, ['--help']);
    const source = fs.readFileSync(bundleFile(root));
    fs.writeFileSync(bundleFile(root), source.subarray(0, Math.floor(source.length / 2)));
    const r = runIn(root, SNMP, ['--help']);
    assert.equal(r.stdout, reference.stdout);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
  });
});

/** Every case here runs a copy without dist/bin, so the answers come from the bundle. */
describe('code cache fallbacks, on a real pair', () => {
  let pair: Pair;
  let optionFile: string;

  before(async () => {
    pair = await Pair.start({ name: 'bundle' });
    optionFile = nodeOptionFile(pair, 'a', dir, 'snmp', { table: 'status_example.lastcheck', timeout: '5' });
  });
  after(() => pair?.destroy());

  /** The healthy pair's answer, and nothing else anywhere. */
  function assertHealthy(r: Run, what: string): void {
    assert.equal(r.stderr, '', `${what}: stderr`);
    assert.equal(r.stdout, '100\n', `${what}: answer`);
    assert.equal(r.code, 0, `${what}: exit code`);
  }

  test('the bundles answer as the tsc output on the paths through the driver: replica status, trial stamp, server errors', () => {
    const bundleOnly = bundleOnlyCopy(built, dir, 'driver-paths-bundle');
    const tscOnly = copyOf(built, dir, 'driver-paths-tsc');
    fs.rmSync(join(tscOnly, 'dist', 'bundle'), { recursive: true });
    const wrongPassword = join(dir, 'wrong-password.cnf');
    fs.writeFileSync(wrongPassword, fs.readFileSync(optionFile, 'utf8').replace(/^password=.*$/m, 'password=not-the-password'), {
      mode: 0o600,
    });
    const noTable = nodeOptionFile(pair, 'a', dir, 'no-table', { table: 'status_example.no_such_table', timeout: '5' });
    // Times and ages differ from run to run; everything else must not.
    const same = (text: string): string => text.replace(/\d+(\.\d+)?/g, 'N');
    for (const [name, args] of [
      // The plugin reads SHOW ALL SLAVES STATUS (utf8mb3 columns), tries the stamp and rolls it back, asks the peer.
      ['check_mysql_failover', [`--defaults-file=${optionFile}`]],
      ['check_mysql_failover', [`--defaults-file=${wrongPassword}`]],
      ['check_mysql_failover', [`--defaults-file=${noTable}`]],
      ['mysql-failover-check', ['status', `--defaults-file=${optionFile}`]],
    ] as const) {
      const fromBundle = runIn(bundleOnly, name, args);
      const fromTsc = runIn(tscOnly, name, args);
      const what = `${name} ${args.join(' ')}`;
      assert.equal(fromBundle.stderr, '', `${what} (bundle): stderr`);
      assert.equal(same(fromBundle.stdout), same(fromTsc.stdout), what);
      assert.equal(fromBundle.code, fromTsc.code, `${what}: exit code`);
    }
    assert.match(runIn(bundleOnly, 'check_mysql_failover', [`--defaults-file=${wrongPassword}`]).stdout, /ER_ACCESS_DENIED_ERROR \(1045\)/);
    assert.match(runIn(bundleOnly, 'check_mysql_failover', [`--defaults-file=${noTable}`]).stdout, /ER_NO_SUCH_TABLE \(1146\)/);
  });

  test('the cache from the build is used as it is', () => {
    const root = bundleOnlyCopy(built, dir, 'cache-ok');
    const before = fs.readFileSync(cacheFile(root));
    assertHealthy(runIn(root, SNMP, [`--defaults-file=${optionFile}`]), 'build cache');
    assert.deepEqual(fs.readFileSync(cacheFile(root)), before, 'a usable cache is not rewritten');
  });

  test('a missing cache: right answer, then a cache written atomically beside the bundle', () => {
    const root = bundleOnlyCopy(built, dir, 'cache-missing');
    const expected = cacheHeader(root).slice(0, 5).join(' ');
    fs.rmSync(cacheFile(root));
    // A run that never reaches a server compiles too little to be worth keeping.
    const help = runIn(root, SNMP, ['--help']);
    assert.equal(help.stderr, '');
    assert.equal(fs.existsSync(cacheFile(root)), false, 'no cache from a --help run');
    assertHealthy(runIn(root, SNMP, [`--defaults-file=${optionFile}`]), 'no cache');
    assert.equal(cacheHeader(root).slice(0, 5).join(' '), expected, 'a cache for this bundle and Node');
    assert.deepEqual(leftovers(root), []);
    assertHealthy(runIn(root, SNMP, [`--defaults-file=${optionFile}`]), 'with the cache the run wrote');
  });

  test('a cache for another Node or another bundle is ignored and replaced', () => {
    for (const [field, value] of [
      [2, 'v0.0.1'],
      [4, 'f'.repeat(64)],
    ] as const) {
      const root = bundleOnlyCopy(built, dir, `cache-other-${field}`);
      const buf = fs.readFileSync(cacheFile(root));
      const nl = buf.indexOf(0x0a);
      const header = buf.toString('latin1', 0, nl).split(' ');
      const original = header[field];
      header[field] = value;
      fs.writeFileSync(cacheFile(root), Buffer.concat([Buffer.from(header.join(' '), 'latin1'), buf.subarray(nl)]));
      assertHealthy(runIn(root, SNMP, [`--defaults-file=${optionFile}`]), `header field ${field} changed`);
      assert.equal(cacheHeader(root)[field], original, 'replaced by a cache for this bundle and Node');
    }
  });

  test('a cache V8 rejects (the bundle changed under the same id) gives the right answer and is replaced', () => {
    const root = bundleOnlyCopy(built, dir, 'cache-rejected');
    const before = fs.readFileSync(cacheFile(root));
    fs.appendFileSync(bundleFile(root), '\n// edited by hand after the build\n');
    assertHealthy(runIn(root, SNMP, [`--defaults-file=${optionFile}`]), 'rejected cache');
    assert.notDeepEqual(fs.readFileSync(cacheFile(root)), before, 'the rejected cache was replaced');
    assertHealthy(runIn(root, SNMP, [`--defaults-file=${optionFile}`]), 'with the replacement');
  });

  test('a damaged cache (flipped bytes, truncated, garbage) is never handed to V8', () => {
    const flip = (b: Buffer, at: number): Buffer => {
      const c = Buffer.from(b);
      c[at] = (c[at] ?? 0) ^ 0xff;
      return c;
    };
    const damage: Record<string, (b: Buffer) => Buffer> = {
      'flipped payload bytes': (b) => {
        const c = Buffer.from(b);
        // Not at a fixed stride: a pattern repeating with the payload's length would hit both copies alike.
        for (let i = b.indexOf(0x0a) + 24, step = 997; i < c.length; i += step, step += 13) c[i] = (c[i] ?? 0) ^ 0xff;
        return c;
      },
      'one byte flipped in the first copy': (b) => flip(b, b.indexOf(0x0a) + 1 + Math.floor((b.length - b.indexOf(0x0a)) / 4)),
      'one byte flipped in the second copy': (b) => flip(b, b.length - 1),
      truncated: (b) => b.subarray(0, b.length - 100),
      'no header': (b) => b.subarray(b.indexOf(0x0a) + 1),
      garbage: () => Buffer.from('not a cache at all'),
      empty: () => Buffer.alloc(0),
    };
    for (const [what, damaged] of Object.entries(damage)) {
      const root = bundleOnlyCopy(built, dir, `cache-${what.replace(/\W+/g, '-')}`);
      fs.writeFileSync(cacheFile(root), damaged(fs.readFileSync(cacheFile(root))));
      assertHealthy(runIn(root, SNMP, [`--defaults-file=${optionFile}`]), what);
      assertHealthy(runIn(root, SNMP, [`--defaults-file=${optionFile}`]), `${what}, second run`);
    }
  });

  test('the answers that need no database never load the driver; a probe does', () => {
    const root = bundleOnlyCopy(built, dir, 'driver-unused');
    const marker = join(root, 'driver-loaded');
    const chunk = driverChunk(root);
    // The named chunk (same id), which says when it is loaded and then is the driver.
    fs.writeFileSync(
      chunk.bundle,
      `${BUNDLE_ID_PREFIX}${idOf(chunk.bundle)}\n${MODULE_WRAPPER[0]}require('fs').writeFileSync(${JSON.stringify(marker)}, '');\nmodule.exports = require('mysql2');${MODULE_WRAPPER[1]}\n`,
    );
    const maintenanceFile = join(root, 'maintenance');
    fs.writeFileSync(maintenanceFile, '');
    for (const args of [
      ['--help'],
      ['--version'],
      ['--no-such-option'],
      [`--defaults-file=${optionFile}`, `--maintenance-file=${maintenanceFile}`],
    ]) {
      const r = runIn(root, SNMP, args);
      assert.equal(r.stderr, '', args.join(' '));
      assert.equal(fs.existsSync(marker), false, `${args.join(' ')}: the driver was loaded`);
    }
    assertHealthy(runIn(root, SNMP, [`--defaults-file=${optionFile}`]), 'probe');
    assert.equal(fs.existsSync(marker), true, 'a probe loads the driver');
  });

  test('a driver chunk missing, or not the one the bundle names: the driver from node_modules answers', () => {
    for (const damage of ['missing', 'another build']) {
      const root = bundleOnlyCopy(built, dir, `chunk-${damage.replace(/\W+/g, '-')}`);
      const chunk = driverChunk(root);
      if (damage === 'missing') fs.rmSync(chunk.bundle);
      else fs.writeFileSync(chunk.bundle, `${BUNDLE_ID_PREFIX}${'0'.repeat(64)}\nthrow new Error('impostor');\n`);
      assertHealthy(runIn(root, SNMP, [`--defaults-file=${optionFile}`]), damage);
    }
  });

  test("a damaged driver chunk cache: right answer, and the chunk's cache is written anew", () => {
    const root = bundleOnlyCopy(built, dir, 'chunk-cache-damaged');
    const chunk = driverChunk(root);
    const before = fs.readFileSync(chunk.cache);
    fs.writeFileSync(chunk.cache, before.subarray(0, before.length - 1));
    assertHealthy(runIn(root, SNMP, [`--defaults-file=${optionFile}`]), 'damaged chunk cache');
    assert.equal(cacheHeaderOf(chunk.cache)[4], idOf(chunk.bundle), 'a cache for this chunk');
    assert.equal(fs.readFileSync(chunk.cache).length > before.length / 2, true);
    assert.deepEqual(leftovers(root), []);
    assertHealthy(runIn(root, SNMP, [`--defaults-file=${optionFile}`]), 'with the rewritten chunk cache');
  });

  test('a directory the user cannot write: right answer, nothing written, nothing printed', () => {
    // Root writes anywhere, so as root the executable runs as "nobody", the way snmpd's user meets a root-owned install.
    const asRoot = process.getuid?.() === 0;
    const nobody = asRoot ? nobodyIds() : undefined;
    // A directory outside the 0700 run directory, so that another user can reach it.
    const outside = fs.mkdtempSync(join(tmpdir(), 'mfc-bundle-ro-'));
    try {
      fs.chmodSync(outside, 0o755);
      const root = bundleOnlyCopy(built, outside, 'pkg');
      fs.rmSync(cacheFile(root));
      let file = optionFile;
      if (nobody !== undefined) {
        file = join(outside, 'snmp.cnf');
        fs.copyFileSync(optionFile, file);
        fs.chownSync(file, nobody.uid, nobody.gid);
      } else {
        fs.chmodSync(join(root, 'dist', 'bundle'), 0o555);
      }
      const r = runIn(root, SNMP, [`--defaults-file=${file}`], nobody ?? {});
      assertHealthy(r, 'unwritable directory');
      assert.equal(fs.existsSync(cacheFile(root)), false, 'no cache written');
      assert.deepEqual(leftovers(root), []);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});

/** uid and gid of the unprivileged "nobody" account, from /etc/passwd. */
function nobodyIds(): { uid: number; gid: number } {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('nobody:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  assert.ok(uid !== undefined && gid !== undefined, 'no nobody account in /etc/passwd');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * The Node built-ins a run of bin/NAME requires, recorded by a preloaded
 * script: prom-client's own require of `https` (its Pushgateway) shows
 * whether the run evaluated prom-client at all.
 */
function builtinsRequired(root: string, name: string, args: readonly string[], timeoutMs: number): Set<string> {
  const out = join(dir, `requires-${name}-${Date.now()}.txt`);
  const preload = join(dir, 'record-requires.js');
  fs.writeFileSync(
    preload,
    [
      "const Module = require('node:module');",
      "const fs = require('node:fs');",
      'const seen = new Set();',
      'const original = Module.prototype.require;',
      'Module.prototype.require = function (id) { seen.add(id); return original.apply(this, arguments); };',
      "process.on('exit', () => fs.writeFileSync(process.env.MFC_REQUIRES_OUT, [...seen].join('\\n')));",
    ].join('\n'),
  );
  spawnSync(process.execPath, ['--require', preload, join(root, 'bin', name), ...args], {
    env: { ...cleanEnv(), MFC_REQUIRES_OUT: out },
    input: '',
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return new Set(fs.readFileSync(out, 'utf8').split('\n'));
}

describe('prom-client, only where serve needs it', () => {
  test('no executable’s bundle contains it: it is a chunk of its own, which only mysql-failover-check’s (serve) names', () => {
    // prom-client's content type constant: in its registry, nowhere else.
    const marker = 'text/plain; version=0.0.4; charset=utf-8';
    const chunk = join(dirname(bundleFile(built, 'mysql-failover-check')), 'chunk-prom-client.js');
    assert.ok(fs.readFileSync(chunk, 'latin1').includes(marker), 'the chunk holds prom-client');
    for (const name of EXECUTABLES) {
      const text = fs.readFileSync(bundleFile(built, name), 'latin1');
      assert.equal(text.includes(marker), false, `${name}: prom-client in the bundle itself`);
      assert.equal(text.includes('prom-client@'), name === 'mysql-failover-check', `${name}: names the prom-client chunk`);
    }
  });

  test('`status` from the bundle does not evaluate it; `serve` from the same bundle does', async () => {
    const port = await freePort();
    const root = bundleOnlyCopy(built, dir, 'lazy-prom');
    const status = builtinsRequired(
      root,
      'mysql-failover-check',
      ['status', '--no-defaults', '--host=127.0.0.1', '--port=1', '--timeout=1'],
      30_000,
    );
    assert.ok(status.has('node:fs') || status.has('fs'), 'the recording works');
    assert.equal(status.has('https'), false, 'status evaluated prom-client');
    const maintenance = join(dir, 'lazy-prom-maintenance');
    fs.writeFileSync(maintenance, '');
    // serve runs until the spawn's timeout sends SIGTERM; it then exits 0 and the record is written.
    const serve = builtinsRequired(
      root,
      'mysql-failover-check',
      ['serve', '--no-defaults', `--maintenance-file=${maintenance}`, `--http=127.0.0.1:${port}`],
      3_000,
    );
    assert.equal(serve.has('https'), true, 'serve did not load prom-client: this test could not fail');
  });
});
