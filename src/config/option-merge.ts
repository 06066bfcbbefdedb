/**
 * The command line merged with the option files and the defaults. The same
 * options work on every executable and in the `[mysql-failover-check]` group
 * of the option files, so an snmpd `extend` line can be just the
 * executable's path.
 *
 * Precedence: command line, then the option files in the order the MySQL
 * client reads them (a later line wins, whichever of our groups it is in),
 * then the option's default (option-specs.ts).
 */
import { CheckError } from '../core/errors';
import type { ParsedArgs } from './argv';
import { normaliseOptionName } from './option-file-parser';
import { readOptionFiles, type OptionFileSettings } from './option-file-reader';
import { OTHER_FILE_KEYS, type OptionSpec } from './option-specs';

export const TOOL_GROUP = 'mysql-failover-check';
/** The MySQL client's groups first, then ours. */
export const OPTION_GROUPS: readonly string[] = ['client', TOOL_GROUP];

export interface ResolvedOptions {
  /** Long name -> value: the command line over the option files over the option's default. */
  get(name: string): string | undefined;
  /** Whether the option was given (command line or option files), rather than defaulted. */
  has(name: string): boolean;
  /**
   * Every value of a repeatable option: the command line's when it gives
   * any (they replace the files', as a single option's value would), else
   * every line of the option files, in order.
   */
  all(name: string): string[];
  warnings: string[];
  filesRead: string[];
}

function optionFileSettings(cli: Map<string, string | boolean>): OptionFileSettings {
  const s: OptionFileSettings = {};
  const df = cli.get('defaults-file');
  const dx = cli.get('defaults-extra-file');
  const gs = cli.get('defaults-group-suffix');
  if (typeof df === 'string') s.defaultsFile = df;
  if (typeof dx === 'string') s.defaultsExtraFile = dx;
  if (typeof gs === 'string') s.groupSuffix = gs;
  if (cli.get('no-defaults') === true) s.noDefaults = true;
  return s;
}

/**
 * Merges the command line with the option files. In [client] only the
 * connection options are ours (the group is shared with every MySQL
 * program); in [mysql-failover-check] an unknown option is an error, as it
 * is for the MySQL client, unless written `loose-NAME`.
 */
export function resolveOptions(args: ParsedArgs, specs: readonly OptionSpec[]): ResolvedOptions {
  const fileAllowed = new Set(specs.filter((s) => s.file !== false).map((s) => s.name));
  const result = readOptionFiles(OPTION_GROUPS, optionFileSettings(args.values));
  const clientKeys = new Set(['host', 'port', 'socket', 'user', 'password']);
  const fromFiles = new Map<string, string>();
  const listsFromFiles = new Map<string, string[]>();
  for (const entry of result.entries) {
    // MariaDB >= 10.11 matches option names case-insensitively, '-' and '_' alike.
    let name = normaliseOptionName(entry.name);
    let loose = false;
    if (name.startsWith('loose-')) {
      loose = true;
      name = name.slice('loose-'.length);
    }
    const isToolGroup = entry.group.toLowerCase().startsWith(TOOL_GROUP);
    if (!isToolGroup) {
      if (!clientKeys.has(name) || entry.value === null) continue;
      fromFiles.set(name, entry.value);
      continue;
    }
    if (!fileAllowed.has(name)) {
      if (loose || OTHER_FILE_KEYS.has(name)) continue;
      throw new CheckError('USAGE', `unknown option '${name}' in [${entry.group}] of ${entry.file} line ${entry.line}`);
    }
    if (entry.value === null) {
      const spec = specs.find((s) => s.name === name);
      if (spec?.kind === 'boolean') fromFiles.set(name, 'true');
      continue;
    }
    fromFiles.set(name, entry.value);
    listsFromFiles.set(name, [...(listsFromFiles.get(name) ?? []), entry.value]);
  }
  const defaults = new Map(specs.filter((s) => s.default !== undefined).map((s) => [s.name, s.default as string]));
  return {
    get(name) {
      const v = args.values.get(name);
      if (typeof v === 'string') return v;
      if (v === true) return 'true';
      return fromFiles.get(name) ?? defaults.get(name);
    },
    has(name) {
      return args.values.has(name) || fromFiles.has(name);
    },
    all(name) {
      return args.lists.get(name) ?? listsFromFiles.get(name) ?? [];
    },
    warnings: result.warnings,
    filesRead: result.filesRead,
  };
}

/** `o` reading `value` for `name` instead; has() still says whether the operator gave it. */
export function withValue(o: ResolvedOptions, name: string, value: string): ResolvedOptions {
  return { ...o, get: (n) => (n === name ? value : o.get(n)), has: (n) => o.has(n), all: (n) => o.all(n) };
}

/** The value of an option that has a default, so it always has one. */
export function valueOf(o: ResolvedOptions, name: string): string {
  const value = o.get(name);
  if (value === undefined) throw new CheckError('INTERNAL', `--${name} has neither a value nor a default`);
  return value;
}
