/**
 * The command line, parsed strictly against an executable's option table:
 * an unknown option, a missing value or a password is an error, never
 * guessed around. Option files are option-merge.ts's business.
 */
import minimist from 'minimist';
import { CheckError } from '../core/errors';
import type { OptionSpec } from './option-specs';

export interface ParsedArgs {
  /** Option values by long name; command line only. A repeatable option holds its last value here. */
  values: Map<string, string | boolean>;
  /** Every value of each repeatable option given, in order. */
  lists: Map<string, string[]>;
  positionals: string[];
}

/** Parses argv strictly: unknown options and passwords are rejected. */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  for (const a of argv) {
    if (a === '--') break;
    if (/^--password(=|$)/.test(a) || /^--peer-password(=|$)/.test(a) || /^-p/.test(a)) {
      throw new CheckError('USAGE', 'passwords are read from option files only, never from the command line');
    }
  }
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short !== undefined).map((s) => [s.short as string, s]));
  const unknown: string[] = [];
  // minimist reads `--no-x` as x=false and `--a.b` as a nested object; rename the
  // one negated option we have, and reject the rest below.
  const args = argv.map((a) => (a === '--no-defaults' ? '--no_defaults_flag' : a));
  const parsed = minimist(args as string[], {
    string: specs.filter((s) => s.kind === 'string').flatMap((s) => (s.short ? [s.name, s.short] : [s.name])),
    boolean: [...specs.filter((s) => s.kind === 'boolean').flatMap((s) => (s.short ? [s.name, s.short] : [s.name])), 'no_defaults_flag'],
    alias: Object.fromEntries(specs.filter((s) => s.short !== undefined).map((s) => [s.short as string, s.name])),
    unknown: (arg: string) => {
      if (arg.startsWith('-') && arg !== '-') {
        unknown.push(arg);
        return false;
      }
      return true;
    },
  });
  if (unknown.length > 0) {
    throw new CheckError('USAGE', `unknown option ${unknown[0]}`);
  }
  const values = new Map<string, string | boolean>();
  const lists = new Map<string, string[]>();
  for (const [key, raw] of Object.entries(parsed)) {
    if (key === '_') continue;
    if (key === 'no_defaults_flag') {
      if (raw === true) values.set('no-defaults', true);
      continue;
    }
    if (byShort.has(key) && !byName.has(key)) continue; // the alias copy
    const spec = byName.get(key);
    if (spec === undefined) throw new CheckError('USAGE', `unknown option --${key}`);
    if (spec.cli === false) throw new CheckError('USAGE', `--${key} may only be set in an option file`);
    if (spec.repeatable === true) {
      const all: unknown[] = Array.isArray(raw) ? raw : [raw];
      if (!all.every((v) => typeof v === 'string' && v !== '')) throw new CheckError('USAGE', `--${key} needs a value`);
      lists.set(key, all as string[]);
    }
    // A repeated option: the last one wins, as with the MySQL client.
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (spec.kind === 'boolean') {
      if (typeof value !== 'boolean') throw new CheckError('USAGE', `--${key} takes no value`);
      if (value) values.set(key, true);
    } else {
      if (typeof value !== 'string') throw new CheckError('USAGE', `--${key} needs a value`);
      if (value === '') throw new CheckError('USAGE', `--${key} needs a value`);
      values.set(key, value);
    }
  }
  return { values, lists, positionals: parsed._.map(String) };
}
