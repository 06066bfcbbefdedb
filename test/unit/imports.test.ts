/**
 * The import rules of docs/architecture.md, enforced by reading the sources,
 * so they cannot rot silently:
 * - src/ folders import only their own folder and the folders below them:
 *   core <- io <- config <- probe <- answers <- resident <- cli;
 * - no import cycles between modules;
 * - only src/io/mysql.ts loads mysql2;
 * - only src/config/option-file-reader.ts reads configuration files (every
 *   module of src/ that reads a file is listed in FILE_READERS, with what it
 *   reads);
 * - bin/ imports src/ and nothing else of ours; the launcher imports nothing
 *   of ours; src/ imports nothing from bin/, launcher/ or test/.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../support/repo';

/** The src/ folders, lowest first: each may import its own and the ones before it. */
const LAYERS = ['core', 'io', 'config', 'probe', 'answers', 'resident', 'demo', 'cli'] as const;

/**
 * Every module of src/ that reads a file, and what it reads. Configuration
 * is read by the option-file reader alone; a module that reads a file of
 * another kind (state it keeps, say) is added here with what that file is.
 */
const FILE_READERS: Readonly<Record<string, string>> = {
  'src/config/option-file-reader.ts': 'the MySQL option files, the only configuration files',
  'src/demo/kept-pair.ts': "the demo's own pointer file",
  'src/demo/process-table.ts': "/proc, to know a pid is the demo's mariadbd before killing it",
  'src/demo/server-process.ts': "the demo server's pid file",
  'src/io/atomic-file.ts': 'the failover state file, written atomically',
  'src/io/file-lock.ts': "the state file's lock file",
  'src/io/state-file.ts': 'the failover state file',
};

interface Module {
  /** Repository-relative path, e.g. src/core/decide.ts. */
  file: string;
  text: string;
  /** Every module specifier it imports, re-exports or requires. */
  specifiers: string[];
}

function sources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(path.join(REPO_ROOT, d), { withFileTypes: true })) {
      const rel = path.join(d, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(rel);
    }
  };
  walk(dir);
  return out.sort();
}

/** Comments out, so a path named in prose is no import. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

function load(file: string): Module {
  const text = code(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8'));
  const specifiers: string[] = [];
  for (const re of [/\bfrom\s+'([^']+)'/g, /\brequire\(\s*'([^']+)'\s*\)/g, /\bimport\(\s*'([^']+)'\s*\)/g, /^\s*import\s+'([^']+)'/gm]) {
    for (const m of text.matchAll(re)) specifiers.push(m[1] as string);
  }
  return { file, text, specifiers };
}

/** The repository-relative .ts file a relative specifier names, or undefined for a package or a non-TS file. */
function target(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.normalize(path.join(path.dirname(from), specifier));
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(path.join(REPO_ROOT, candidate))) return candidate;
  }
  return undefined;
}

function layerOf(file: string): (typeof LAYERS)[number] | undefined {
  const m = /^src\/([^/]+)\//.exec(file);
  return LAYERS.find((l) => l === m?.[1]);
}

const SRC = sources('src').map(load);
const BIN = sources('bin').map(load);
const LAUNCHER = sources('launcher').map(load);

describe('imports', () => {
  test('every module of src/ is in one of the folders, but the library entry src/index.ts', () => {
    const stray = SRC.filter((m) => layerOf(m.file) === undefined && m.file !== 'src/index.ts').map((m) => m.file);
    assert.deepEqual(stray, []);
  });

  test('src/ folders import only their own folder and the folders below them', () => {
    const upward: string[] = [];
    for (const m of SRC) {
      const from = layerOf(m.file);
      if (from === undefined) continue;
      for (const s of m.specifiers) {
        const t = target(m.file, s);
        if (t === undefined) continue;
        const to = layerOf(t);
        if (to === undefined || LAYERS.indexOf(to) > LAYERS.indexOf(from)) upward.push(`${m.file} -> ${t}`);
      }
    }
    assert.deepEqual(upward, []);
  });

  test('no import cycles between the modules of src/, bin/ and launcher/', () => {
    const all = [...SRC, ...BIN, ...LAUNCHER];
    const edges = new Map(all.map((m) => [m.file, m.specifiers.map((s) => target(m.file, s)).filter((t): t is string => t !== undefined)]));
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, trail: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...trail.slice(trail.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      for (const next of edges.get(file) ?? []) visit(next, [...trail, file]);
      state.set(file, 'done');
    };
    for (const m of all) visit(m.file, []);
    assert.deepEqual(cycles, []);
  });

  test('only src/io/mysql.ts loads mysql2', () => {
    const loaders = [...SRC, ...BIN, ...LAUNCHER].filter((m) => m.specifiers.some((s) => s === 'mysql2' || s.startsWith('mysql2/')));
    assert.deepEqual(
      loaders.map((m) => m.file),
      ['src/io/mysql.ts'],
    );
  });

  test('only src/config/option-file-reader.ts reads configuration files: every file reader is a known one', () => {
    const READS = /\b(readFileSync|readSync|openSync|opendirSync|readdirSync|createReadStream|readFile|readdir|opendir)\s*\(/;
    const readers = SRC.filter((m) => READS.test(m.text)).map((m) => m.file);
    assert.deepEqual(readers, Object.keys(FILE_READERS).sort());
  });

  test('core/ is pure: no Node built-in and nothing outside core/', () => {
    const impure = SRC.filter((m) => layerOf(m.file) === 'core').flatMap((m) =>
      m.specifiers.filter((s) => !s.startsWith('./')).map((s) => `${m.file} -> ${s}`),
    );
    assert.deepEqual(impure, []);
  });

  test('bin/ imports only src/; the launcher nothing of ours; src/ nothing from bin/, launcher/ or test/', () => {
    const wrong: string[] = [];
    for (const m of BIN) {
      for (const s of m.specifiers) {
        const t = target(m.file, s);
        if (t !== undefined && !t.startsWith('src/')) wrong.push(`${m.file} -> ${t}`);
      }
    }
    for (const m of [...LAUNCHER, ...SRC]) {
      for (const s of m.specifiers) {
        const t = target(m.file, s);
        if (t === undefined) continue;
        const ok = m.file.startsWith('launcher/') ? t.startsWith('launcher/') : t.startsWith('src/');
        if (!ok) wrong.push(`${m.file} -> ${t}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('the rules see the imports they judge (a known upward import would be caught)', () => {
    // Guards the scanner itself: were the specifier patterns to stop matching, every rule above would pass vacuously.
    const probe = SRC.find((m) => m.file === 'src/probe/probe.ts');
    assert.ok(probe?.specifiers.includes('../core/decide'), 'src/probe/probe.ts imports ../core/decide');
    assert.equal(target('src/core/decide.ts', '../cli/terminal'), 'src/cli/terminal.ts');
    assert.ok(LAYERS.indexOf('cli') > LAYERS.indexOf('core'));
    assert.ok(SRC.length > 40 && BIN.length === 5 && LAUNCHER.length === 1);
  });
});
