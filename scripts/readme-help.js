#!/usr/bin/env node
'use strict';
/**
 * Developer tool: rewrites the README's quoted --help blocks from the built
 * executables (test/process/readme.test.ts requires them verbatim): each
 * executable's own part (a fenced block starting "Usage: NAME") and, once,
 * the options every executable shares (a fenced block starting with the
 * shared header). Run `npm run build` first, then this, and review the diff.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const { COMMON_HEADER } = require(path.join(ROOT, 'dist', 'src', 'config', 'help.js'));
const NAMES = Object.keys(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).bin);
const file = path.join(ROOT, 'README.md');
let readme = fs.readFileSync(file, 'utf8');

function replaceBlock(startsWith, text, what) {
  const start = readme.indexOf('```\n' + startsWith);
  if (start < 0) {
    process.stderr.write(`README.md has no block for ${what}; add one starting with \`\`\`\n${startsWith}\n`);
    process.exitCode = 1;
    return;
  }
  const end = readme.indexOf('\n```', start + 4);
  readme = readme.slice(0, start) + '```\n' + text + readme.slice(end);
}

let common;
for (const name of NAMES) {
  const help = spawnSync(path.join(ROOT, 'bin', name), ['--help'], { encoding: 'utf8' }).stdout;
  const at = help.indexOf(`\n${COMMON_HEADER}\n`);
  replaceBlock(`Usage: ${name} `, help.slice(0, at).trim(), name);
  common = help.slice(at + 1).trim();
}
replaceBlock(COMMON_HEADER, common, 'the shared options');
fs.writeFileSync(file, readme);
