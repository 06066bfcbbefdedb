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
import { repoPath } from '../support/repo';

const ROOT = repoPath();
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };

for (const name of Object.keys(pkg.bin)) {
  test(`README quotes the --help of ${name} verbatim, under its own section`, async () => {
    const r = await runBin(name, ['--help']);
    // Monitoring Plugins exit UNKNOWN after --help, as monitoring-plugins' own check_mysql does.
    assert.equal(r.code, name.startsWith('check_') ? 3 : 0);
    assert.equal(r.stderr, '');
    const help = r.stdout.trim();
    assert.ok(help.length > 200, `${name} --help is too short`);
    assert.ok(readme.includes('```\n' + help + '\n```'), `README.md must show the current --help of ${name} verbatim:\n${help}`);
    assert.ok(
      readme.split('\n').some((l) => /^##+ /.test(l) && l.includes(name)),
      `README.md has no section heading naming ${name}`,
    );
  });
}

test('the README has exactly one test command, and .ci/run runs it', () => {
  const commands = readme.match(/^npm ci && npm test$/gm) ?? [];
  assert.equal(commands.length, 1);
  const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
  assert.match(ci, /^npm ci && npm test$/m);
});

test("the README's performance tables are bench/results.md's, row for row", () => {
  // Figures are quoted, never retyped: a rerun of `npm run bench` that is not
  // copied into the README fails here. The machine table is summarised, not quoted.
  const results = readFileSync(join(ROOT, 'bench', 'results.md'), 'utf8');
  const measured = results
    .slice(0, results.indexOf('\n## Machine'))
    .split('\n')
    .filter((l) => l.startsWith('| '));
  assert.ok(measured.length >= 10, 'bench/results.md has no measurement tables');
  const at = readme.indexOf('\n## Performance\n');
  assert.ok(at >= 0, 'README.md has no Performance section');
  const section = readme.slice(at + 1).split('\n## ')[0] ?? '';
  for (const row of measured) {
    assert.ok(section.includes(row), `README.md's Performance section must quote this row of bench/results.md:\n${row}`);
  }
});
