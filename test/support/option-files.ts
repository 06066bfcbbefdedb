/**
 * The scratch directory of the option-file tests: the fixture corpus
 * (test/fixtures/option-files) copied in with "@DIR@" replaced by its own
 * path, file modes set explicitly (git does not keep 0666), and files
 * written on demand. setUpScratch()/removeScratch() go in a test file's
 * before()/after(); tmpRoot and corpus are then set.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckError } from '../../src/core/errors';
import { formatOptionEntry } from '../../src/config/option-file-parser';
import { readOptionFiles, type OptionFileSettings, type OptionFilesResult } from '../../src/config/option-file-reader';
import { repoPath } from './repo';

export const FIXTURES = repoPath('test', 'fixtures', 'option-files');
export const GROUPS = ['client', 'mysql-failover-check'] as const;

export let tmpRoot = '';
/** The corpus copied to tmpRoot/corpus, with "@DIR@" replaced. */
export let corpus = '';

export function setUpScratch(): void {
  tmpRoot = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'option-files-test-')));
  corpus = path.join(tmpRoot, 'corpus');
  copyCorpus(FIXTURES, corpus);
  // HOME is the corpus in the differential test: "~/inc/home.cnf" resolves there, and this .my.cnf is read.
  writeFile(path.join(corpus, '.my.cnf'), '[client]\nfrom_home_my_cnf = 1\n[mysql-failover-check]\nhome_check = yes\n');
}

export function removeScratch(): void {
  if (tmpRoot) fs.rmSync(tmpRoot, { recursive: true, force: true });
}

export function tmpDir(name: string): string {
  const dir = path.join(tmpRoot, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export function writeFile(file: string, data: string | Buffer, mode = 0o644): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  fs.chmodSync(file, mode);
  return file;
}

export function assertCheckError(fn: () => unknown, code: string, messagePart?: RegExp): CheckError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof CheckError, `expected a CheckError ${code}, got ${String(thrown)}`);
  assert.equal(thrown.code, code, thrown.message);
  if (messagePart) assert.match(thrown.message, messagePart);
  return thrown;
}

/** readOptionFiles with nothing from /etc or the real home unless asked. */
export function readIsolated(groups: readonly string[], settings: OptionFileSettings = {}): OptionFilesResult {
  return readOptionFiles(groups, { defaultFiles: [], env: {}, cwd: tmpRoot, ...settings });
}

/** The entries as my_print_defaults prints them. */
export function lines(result: OptionFilesResult): string[] {
  return result.entries.map(formatOptionEntry);
}

/** Copies the corpus, replacing "@DIR@" by the copy's root and setting modes explicitly. */
function copyCorpus(from: string, to: string, root = to): void {
  fs.mkdirSync(to, { recursive: true });
  fs.chmodSync(to, 0o755);
  const rootBinary = Buffer.from(root, 'utf8').toString('latin1');
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) {
      copyCorpus(src, dst, root);
    } else if (entry.isFile()) {
      const text = fs.readFileSync(src).toString('latin1').split('@DIR@').join(rootBinary);
      writeFile(dst, Buffer.from(text, 'latin1'), 0o644);
    }
  }
}
