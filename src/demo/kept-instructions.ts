/**
 * What `demo --keep` prints once the walk is over, pure: where the pair
 * runs, its option files (the password left out), the command line of every
 * executable pointed at it, and how to stop it later. The commands name the
 * executables the way the person ran this one: `./bin/...` from the
 * project's directory, an absolute path from anywhere else.
 */
import * as path from 'node:path';
import type { DemoNode } from './demo-node';
import { AGENT, CHECK, HTTP, PLUGIN, SNMP } from './demo-executables';

export interface KeptNodeShown {
  name: DemoNode;
  port: number;
  optionFile: string;
  /** The option file's text with the password left out. */
  optionFileText: string;
  socket: string;
  maintenanceFile: string;
  logFile: string;
}

export interface KeptShown {
  dir: string;
  nodes: readonly KeptNodeShown[];
  /** Where the project's executables are. */
  binDir: string;
  /** The working directory the commands are for. */
  cwd: string;
}

/** How a person in `cwd` runs the executable `name` from `binDir`. */
export function commandPath(binDir: string, name: string, cwd: string): string {
  const rel = path.relative(cwd, binDir);
  if (rel === '') return `./${name}`;
  return rel.startsWith('..') || path.isAbsolute(rel) ? path.join(binDir, name) : `./${path.join(rel, name)}`;
}

export function keptInstructions(k: KeptShown): string {
  const bin = (name: string): string => commandPath(k.binDir, name, k.cwd);
  const [first] = k.nodes;
  if (first === undefined) return `Nothing of the pair was running to keep; ${k.dir} is left for ${bin(CHECK)} demo --stop.\n`;
  const file = `--defaults-file=${first.optionFile}`;
  const lines = [
    '',
    `The pair keeps running, in ${k.dir}:`,
    ...k.nodes.map((n) => `  node ${n.name}  127.0.0.1:${n.port}  ${n.optionFile}`),
    '',
    ...k.nodes.flatMap((n) => [
      `${path.basename(n.optionFile)}:`,
      ...n.optionFileText
        .trimEnd()
        .split('\n')
        .map((l) => (l === '' ? '' : `  ${l}`)),
      '',
    ]),
    `Point any executable at node ${first.name} (or at another node with its option file):`,
    `  ${bin(CHECK)} status ${file}`,
    `  ${bin(SNMP)} ${file}`,
    `  printf 'GET / HTTP/1.0\\r\\n\\r\\n' | ${bin(HTTP)} ${file}`,
    `  ${bin(AGENT)} ${file}`,
    `  ${bin(PLUGIN)} ${file} -v`,
    `  ${bin(CHECK)} serve ${file} --http 127.0.0.1:8080 --agent 127.0.0.1:8081`,
    `Drain it: touch ${first.maintenanceFile} (rm it to undrain). What its probes decided: ${first.logFile}`,
    `SQL as the administrator (this OS user, over the socket, no password): mariadb --socket=${first.socket}`,
    '',
    `Stop the pair and remove ${k.dir}:`,
    `  ${bin(CHECK)} demo --stop`,
    '',
  ];
  return lines.join('\n');
}
