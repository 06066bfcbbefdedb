/**
 * Loads an executable's esbuild bundle (dist/bundle/<name>.js) through V8's
 * code cache (dist/bundle/<name>.cache), so that a single-shot run neither
 * resolves ~120 module files nor compiles the functions it runs: both are
 * most of a run's cost once Node itself has started.
 *
 * Every failure degrades, never breaks, and never prints: no bundle, or a
 * bundle the tsc output does not name (someone ran tsc after the build), means
 * the tsc output dist/bin/<name>.js; a cache that is missing, from another bundle or
 * Node, damaged or rejected by V8 means compiling from source (and, when the
 * directory is writable, an atomic write of a fresh cache).
 *
 * This module is what the bin/ shims load first, so it stays small and
 * requires nothing it does not need on the fast path.
 */
// Named imports: `import * as` makes tsc copy every export of the module (fs has ~100) at each start.
import { accessSync, constants, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

export interface Executable {
  main(argv: readonly string[]): Promise<number>;
  fatal(): number;
}

/**
 * First line of every bundle: `//mfc-bundle <sha256 of the rest>`. The build
 * also appends that line to the tsc output it bundled, dist/bin/<name>.js;
 * tsc rewrites every output, so after a later tsc run the line is gone and
 * the bundle is known to be stale. (Not timestamps: unpacking a tarball or a
 * plain `cp -r` orders them at random.)
 */
export const BUNDLE_ID_PREFIX = '//mfc-bundle ';
/**
 * After the id line, a bundle is its code inside Node's own CommonJS
 * wrapper, so it sees what a required file sees. The build writes it
 * wrapped: wrapping it here would copy the whole source once more (and
 * allocate it in the young generation) in every run.
 */
export const MODULE_WRAPPER = ['(function (exports, require, module, __filename, __dirname) {', '\n})'] as const;
const CACHE_MAGIC = 'mfc-code-cache 2';
/** The cache header is one short line; anything longer is not ours. */
const MAX_HEADER = 256;

export interface BundlePaths {
  bundle: string;
  cache: string;
  /** The tsc output of the same executable. */
  compiled: string;
}

/** Where an executable's bundle, cache and tsc output live, relative to the package root. */
export function bundlePaths(name: string, root = join(__dirname, '..', '..')): BundlePaths {
  const dir = join(root, 'dist', 'bundle');
  return {
    bundle: join(dir, `${name}.js`),
    cache: join(dir, `${name}.cache`),
    compiled: join(root, 'dist', 'bin', `${name}.js`),
  };
}

/**
 * The cache is valid only for this bundle (by content hash, since V8 itself
 * checks only the source length) and this Node (V8 checks its own version
 * and flags, but a header mismatch is cheaper to find than a rejection).
 */
function cacheHeaderPrefix(bundleId: string): string {
  return `${CACHE_MAGIC} ${process.version} ${process.arch} ${bundleId} `;
}

/**
 * The cached data if the file is ours, for this bundle and Node, and intact.
 * V8 does not checksum code cache payloads in release builds (a flipped byte
 * can crash the process), so the file holds the payload twice and the two
 * copies must be equal: damage to the file (a flipped byte, a torn sector)
 * hits one copy, not the same byte of both. Not a digest, because a digest
 * needs node:crypto, whose loading alone costs more than the whole of a
 * --help answer; comparing the copies is a memcmp.
 */
function readCache(file: string, bundleId: string): Buffer | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return undefined;
  }
  const nl = buf.subarray(0, MAX_HEADER).indexOf(0x0a);
  if (nl < 0) return undefined;
  const header = buf.toString('latin1', 0, nl + 1);
  // header line = "<magic> <node> <arch> <bundle id> <payload bytes>\n", then the payload, twice
  const expected = cacheHeaderPrefix(bundleId);
  if (!header.startsWith(expected)) return undefined;
  const size = header.slice(expected.length, -1);
  const length = Number(size);
  if (!/^[1-9][0-9]*$/.test(size) || buf.length !== nl + 1 + 2 * length) return undefined;
  const payload = buf.subarray(nl + 1, nl + 1 + length);
  return payload.equals(buf.subarray(nl + 1 + length)) ? payload : undefined;
}

/** Writes the cache atomically (temporary file, then rename); any failure is ignored. */
export function writeCache(file: string, bundleId: string, data: Buffer): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const header = `${cacheHeaderPrefix(bundleId)}${data.length}\n`;
    writeFileSync(tmp, Buffer.concat([Buffer.from(header, 'latin1'), data, data]), { mode: 0o644 });
    renameSync(tmp, file);
    return true;
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
    return false;
  }
}

/** Whether the tsc output ends with the bundle's id line, or is absent (an install of the bundle alone). */
function namedByTscOutput(compiled: string, idLine: string): boolean {
  let text: string;
  try {
    text = readFileSync(compiled, 'latin1');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
  return text.endsWith(idLine);
}

/** What one compiled file, a bundle or a chunk, needs for its cache to be written once the run is over. */
export interface CompiledFile {
  paths: { bundle: string; cache: string };
  id: string;
  script: Script;
  /** Whether usable cached data was read and V8 accepted it. */
  cacheUsed: boolean;
}

export interface CompiledBundle {
  exports: Executable;
  script: Script;
  bundleId: string;
  /** Whether usable cached data was read and V8 accepted it. */
  cacheUsed: boolean;
  /** The bundle, then each chunk in the order the run first used it (the list grows as the run goes). */
  files: CompiledFile[];
  /** Whether the bundle has loaded `net` so far, which only the database driver does. */
  usedNetwork(): boolean;
}

/**
 * The start of a chunk's name in a bundle's require: `mfc-chunk:<name>@<id>`
 * (scripts/build.js). The id pins the chunk the bundle was built with.
 */
export const CHUNK_PREFIX = 'mfc-chunk:';

/** Where chunk `name` (scripts/build.js, CHUNKS) and its cache live, relative to the package root. */
export function chunkPaths(name: string, root = join(__dirname, '..', '..')): { bundle: string; cache: string } {
  const dir = join(root, 'dist', 'bundle');
  return { bundle: join(dir, `chunk-${name}.js`), cache: join(dir, `chunk-${name}.cache`) };
}

type ModuleFunction = (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;

/**
 * Reads and runs one CommonJS file built by scripts/build.js the way Node's
 * loader would, but through Script so that V8's cached data can be passed
 * in. `accept` judges the id line; undefined when the file is not there or
 * not accepted.
 */
function compileFile(
  paths: { bundle: string; cache: string },
  accept: (id: string, idLine: string) => boolean,
  useCache: boolean,
  moduleRequire: NodeJS.Require,
): { exports: unknown; file: CompiledFile } | undefined {
  let source: string;
  try {
    // The build guarantees ASCII: latin1 is the cheapest exact decoding.
    source = readFileSync(paths.bundle, 'latin1');
  } catch {
    return undefined;
  }
  const idEnd = source.indexOf('\n');
  if (!source.startsWith(BUNDLE_ID_PREFIX) || idEnd < 0) return undefined;
  const id = source.slice(BUNDLE_ID_PREFIX.length, idEnd);
  if (!accept(id, source.slice(0, idEnd + 1))) return undefined;
  const cachedData = useCache ? readCache(paths.cache, id) : undefined;
  const script = new Script(source, cachedData ? { filename: paths.bundle, cachedData } : { filename: paths.bundle });
  const fn: unknown = script.runInThisContext();
  if (typeof fn !== 'function') return undefined;
  const mod = { exports: {} as unknown };
  (fn as ModuleFunction).call(mod.exports, mod.exports, moduleRequire, mod, paths.bundle, dirname(paths.bundle));
  return { exports: mod.exports, file: { paths, id, script, cacheUsed: cachedData !== undefined && !script.cachedDataRejected } };
}

/**
 * Reads and runs a bundle through its code cache (unless `useCache` is
 * false), and the chunks it requires, each through its own, when first
 * used. Returns undefined when there is no bundle to run.
 */
export function compileBundle(paths: BundlePaths, useCache = true): CompiledBundle | undefined {
  let network = false;
  const files: CompiledFile[] = [];
  const chunks = new Map<string, unknown>();
  const chunkRoot = join(dirname(paths.bundle), '..', '..');
  // The bundle requires Node built-ins, its chunks and (never on our paths)
  // an optional mysql2 dependency, found from here the same way as from the
  // bundle: this module's require serves, without loading node:module.
  const bundleRequire = Object.assign((id: string): unknown => {
    if (id.startsWith(CHUNK_PREFIX)) return requireChunk(id);
    if (id === 'net' || id === 'node:net') network = true;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(id);
  }, require);
  /** A chunk, compiled once; throws when it is not there (the bundle then requires the package instead). */
  const requireChunk = (spec: string): unknown => {
    if (chunks.has(spec)) return chunks.get(spec);
    const at = spec.lastIndexOf('@');
    const [name, id] = [spec.slice(CHUNK_PREFIX.length, at), spec.slice(at + 1)];
    const compiled = compileFile(chunkPaths(name, chunkRoot), (found) => found === id, useCache, bundleRequire);
    if (compiled === undefined) throw new Error(`${spec}: no such chunk`);
    files.push(compiled.file);
    chunks.set(spec, compiled.exports);
    return compiled.exports;
  };
  const bundle = compileFile(paths, (_id, idLine) => namedByTscOutput(paths.compiled, idLine), useCache, bundleRequire);
  if (bundle === undefined) return undefined;
  files.unshift(bundle.file);
  return {
    exports: bundle.exports as Executable,
    script: bundle.file.script,
    bundleId: bundle.file.id,
    cacheUsed: bundle.file.cacheUsed,
    files,
    usedNetwork: () => network,
  };
}

/** Writes the cache of every file of the run whose cache was unusable; false if any could not be written. */
export function writeCaches(files: readonly CompiledFile[]): boolean {
  let all = true;
  for (const f of files) if (!f.cacheUsed && !writeCache(f.paths.cache, f.id, f.script.createCachedData())) all = false;
  return all;
}

/**
 * The executable `name`: its bundle through the code cache, or its tsc
 * output. When a cache was unusable (say, Node was upgraded since the
 * build), a fresh one is written once main() has answered, so that it holds
 * the functions this run compiled; but only after a run that went to a
 * server (a --help or a maintenance answer compiles a fraction of a probe,
 * and a usable cache is never rewritten), and only if the directory lets us.
 */
export function loadExecutable(name: string, root?: string): Executable {
  const paths = bundlePaths(name, root);
  let compiled: CompiledBundle | undefined;
  try {
    compiled = compileBundle(paths);
  } catch {
    // A damaged bundle (say, truncated): the tsc output still answers.
    compiled = undefined;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (compiled === undefined) return require(paths.compiled) as Executable;
  const { exports, files, usedNetwork } = compiled;
  return {
    fatal: () => exports.fatal(),
    main: async (argv) => {
      const code = await exports.main(argv);
      if (!usedNetwork() || files.every((f) => f.cacheUsed)) return code;
      try {
        // Serialising costs milliseconds: only when the files can be written.
        accessSync(dirname(paths.cache), constants.W_OK);
        writeCaches(files);
      } catch {
        // a cache is an optimisation: never let it change the outcome
      }
      return code;
    },
  };
}
