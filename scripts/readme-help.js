#!/usr/bin/env node
'use strict';
/**
 * Developer tool: rewrites the README's quoted --help blocks from the built
 * executables (test/process/readme.test.ts requires them verbatim). A block
 * is a fenced block whose first line is "Usage: NAME"; run `npm run build`
 * first, then `node scripts/readme-help.js`, and review the diff.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const NAMES = ['mysql-failover-snmp', 'check_mysql_failover', 'mysql-failover-check', 'mysql-failover-http', 'mysql-failover-agent'];
const file = path.join(ROOT, 'README.md');
let readme = fs.readFileSync(file, 'utf8');
for (const name of NAMES) {
  const r = spawnSync(path.join(ROOT, 'bin', name), ['--help'], { encoding: 'utf8' });
  const help = r.stdout.trim();
  const start = readme.indexOf('```\nUsage: ' + name + ' ');
  if (start < 0) {
    process.stderr.write(`no --help block of ${name} in README.md\n`);
    process.exitCode = 1;
    continue;
  }
  const end = readme.indexOf('\n```', start + 4);
  readme = readme.slice(0, start) + '```\n' + help + readme.slice(end);
}
fs.writeFileSync(file, readme);
