/** --help of check_mysql_failover and mysql-failover-check is what the README shows, verbatim. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBin } from './support/run-bin';

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

for (const [tool, exitCode] of [
  ['check_mysql_failover', 3], // monitoring-plugins' plugins exit UNKNOWN after --help
  ['mysql-failover-check', 0],
] as const) {
  test(`${tool} --help agrees with the README`, async () => {
    const r = await runBin(tool, ['--help']);
    assert.equal(r.code, exitCode);
    assert.equal(r.stderr, '');
    const help = r.stdout.trimEnd();
    assert.ok(help.startsWith(`Usage: ${tool} `));
    assert.ok(README.includes('```\n' + help + '\n```'), `README.md must show \`${tool} --help\` verbatim:\n${help}`);
  });
}
