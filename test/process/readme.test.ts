/**
 * The README documents each executable by quoting its --help: this keeps the
 * two from drifting apart (docs/design.md, "The executables": each one's
 * --help is its reference, and the README quotes it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBin } from '../support/run-bin';
import { COMMON_HEADER } from '../../src/config/help';
import { repoPath } from '../support/repo';

const ROOT = repoPath();
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };

/**
 * An executable's --help is its own part (usage, its own options) and the
 * options every executable shares, which are the same block everywhere: the
 * README quotes each own part under the executable's section, and the shared
 * block once.
 */
const shared = new Map<string, string>();
for (const name of Object.keys(pkg.bin)) {
  test(`README quotes the --help of ${name} verbatim: its own part under its own section, the shared options once`, async () => {
    const r = await runBin(name, ['--help']);
    // Monitoring Plugins exit UNKNOWN after --help, as monitoring-plugins' own check_mysql does.
    assert.equal(r.code, name.startsWith('check_') ? 3 : 0);
    assert.equal(r.stderr, '');
    const help = r.stdout;
    const at = help.indexOf(`\n${COMMON_HEADER}\n`);
    assert.ok(at > 0, `${name} --help lists the shared options under "${COMMON_HEADER}"`);
    const own = help.slice(0, at).trim();
    const common = help.slice(at + 1).trim();
    assert.ok(own.length > 200, `${name} --help is too short`);
    assert.ok(readme.includes('```\n' + own + '\n```'), `README.md must show the current --help of ${name} verbatim:\n${own}`);
    assert.ok(readme.includes('```\n' + common + '\n```'), `README.md must show the shared options of --help verbatim:\n${common}`);
    shared.set(name, common);
    assert.ok(
      readme.split('\n').some((l) => /^##+ /.test(l) && l.includes(name)),
      `README.md has no section heading naming ${name}`,
    );
  });
}

test('the shared options read the same in every --help', () => {
  assert.equal(shared.size, Object.keys(pkg.bin).length);
  assert.equal(new Set(shared.values()).size, 1);
});

test('the README has exactly one test command, and .ci/run runs it', () => {
  const commands = readme.match(/^npm ci && npm test$/gm) ?? [];
  assert.equal(commands.length, 1);
  const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
  assert.match(ci, /^npm ci && npm test$/m);
});

test("docs/performance.md quotes bench/results.md's tables row for row, and the README its first table", () => {
  // Figures are quoted, never retyped: a rerun of `npm run bench` that is not
  // copied into the docs fails here. The machine table is summarised, not quoted.
  const results = readFileSync(join(ROOT, 'bench', 'results.md'), 'utf8');
  const body = results.slice(0, results.indexOf('\n## Machine'));
  const measured = body.split('\n').filter((l) => l.startsWith('| '));
  assert.ok(measured.length >= 10, 'bench/results.md has no measurement tables');
  const docs = readFileSync(join(ROOT, 'docs', 'performance.md'), 'utf8');
  for (const row of measured) assert.ok(docs.includes(row), `docs/performance.md must quote this row of bench/results.md:\n${row}`);
  const first = (body.split('\n\n').find((para) => para.startsWith('| ')) ?? '').split('\n');
  assert.ok(first.length >= 4, 'bench/results.md has a first table');
  const at = readme.indexOf('\n## Performance\n');
  assert.ok(at >= 0, 'README.md has no Performance section');
  const section = readme.slice(at + 1).split('\n## ')[0] ?? '';
  for (const row of first)
    assert.ok(section.includes(row), `README.md's Performance section must quote this row of bench/results.md:\n${row}`);
});
