/**
 * The MySQL/MariaDB option-file reader: the only module in the project that
 * touches configuration files. It finds and opens the files the MySQL client
 * would, follows !include/!includedir, and returns the options of the wanted
 * groups in the order read, i.e. exactly the lines
 * `my_print_defaults [--defaults-...] group...` prints. The syntax of one
 * file is option-file-parser.ts's.
 *
 * Files read, in order (MariaDB's init_default_directories on Unix):
 *   /etc/my.cnf, /etc/mysql/my.cnf, $MARIADB_HOME/my.cnf (or, when MARIADB_HOME is
 *   unset, $MYSQL_HOME/my.cnf), the --defaults-extra-file, ~/.my.cnf ($HOME).
 *   A directory already in that list is moved to its later position rather than
 *   read twice, as MariaDB does. `settings.defaultFiles` replaces everything
 *   before the extra file (tests use it to keep /etc out).
 *   With --defaults-file only that file is read (the extra file is ignored).
 *
 * Errors follow MariaDB's propagation: a syntax error (or a bad directive) in a
 * named file or a default file is fatal; in a file reached through !include or
 * !includedir MariaDB prints the error, stops reading *that* file and carries on
 * with the including one (options already read from it are kept) - we do the
 * same and turn the error into a warning. The bounds we add ourselves (see
 * LIMITS) are always fatal, wherever they are hit.
 *
 * Where the reader deliberately differs from MariaDB (all of them stricter,
 * none changes the options of a file we accept):
 *   - a file over LIMITS.maxFileBytes, more than LIMITS.maxFiles files, more than
 *     LIMITS.maxTotalBytes in all, or an !includedir with more than
 *     LIMITS.maxDirEntries entries -> OPTION_FILE_TOO_LARGE;
 *   - --defaults-file/--defaults-extra-file naming a directory, a socket or
 *     anything we cannot open -> OPTION_FILE_UNREADABLE (MariaDB silently reads
 *     nothing from a directory);
 *   - files are opened non-blocking and read with a byte bound, so a FIFO or a
 *     device can neither hang nor flood us (/dev/null still works);
 *   - with HOME unset ~/.my.cnf is skipped (MariaDB then looks for a literal
 *     "~/.my.cnf" relative to the current directory);
 *   - "~user/" is not expanded (MariaDB uses getpwnam), only "~" and "~/".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CheckError } from '../core/errors';
import {
  decode,
  decodeLoose,
  isMariadbError,
  LIMITS,
  mariadbError,
  scan,
  toBinary,
  upperLatin1,
  type OptionEntry,
} from './option-file-parser';

export interface OptionFileSettings {
  /** --defaults-file: read only this file (relative to `cwd`, "~/" expanded). */
  defaultsFile?: string;
  /** --defaults-extra-file: also read this file, after the global files and before ~/.my.cnf. */
  defaultsExtraFile?: string;
  /** --defaults-group-suffix; when undefined, $MARIADB_GROUP_SUFFIX, else $MYSQL_GROUP_SUFFIX. */
  groupSuffix?: string;
  /** --no-defaults: read nothing. */
  noDefaults?: boolean;
  /** Home directory for ~/.my.cnf and "~/" in paths; default $HOME (as MariaDB: not the passwd entry). */
  home?: string;
  /** Replaces the global files (/etc/my.cnf, /etc/mysql/my.cnf, $MARIADB_HOME|$MYSQL_HOME/my.cnf). */
  defaultFiles?: readonly string[];
  /** Environment for MARIADB_GROUP_SUFFIX, MYSQL_GROUP_SUFFIX, MARIADB_HOME, MYSQL_HOME, HOME; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Directory that relative paths (named files, !include, !includedir) are resolved against, as MariaDB resolves them against its cwd; default process.cwd(). */
  cwd?: string;
}

export interface OptionFilesResult {
  /** The options of the wanted groups, in the order read (my_print_defaults order). */
  entries: OptionEntry[];
  /** Things MariaDB would print to stderr without failing (world-writable file ignored, include depth reached, a broken included file, ...). */
  warnings: string[];
  /** Every file opened and parsed, in order. */
  filesRead: string[];
}

function errnoOf(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const code = (e as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/* ------------------------------------------------------------------------ */
/* Files                                                                     */

interface Context {
  wanted: Set<string>; // upperLatin1 of the binary group names
  home: string | undefined;
  cwd: string;
  entries: OptionEntry[];
  warnings: string[];
  droppedWarnings: number;
  filesRead: string[];
  totalBytes: number;
  filesOpened: number;
}

function warn(ctx: Context, message: string): void {
  if (ctx.warnings.length < LIMITS.maxWarnings) ctx.warnings.push(message);
  else ctx.droppedWarnings++;
}

/** unpack_filename()'s "~" handling: "~" and "~/..." use the home directory; no home, no expansion. */
function expandTilde(p: string, home: string | undefined): string {
  if (home === undefined) return p;
  if (p === '~' || p.startsWith('~/')) return home.replace(/\/+$/, '') + p.slice(1);
  return p;
}

/** A path as MariaDB opens it: "~" expanded, relative to the current directory, not normalised. */
function resolvePath(ctx: Context, p: string): string {
  const expanded = expandTilde(p, ctx.home);
  if (expanded.startsWith('/') || ctx.cwd === '') return expanded;
  return ctx.cwd.endsWith('/') ? ctx.cwd + expanded : `${ctx.cwd}/${expanded}`;
}

type Opened =
  | { kind: 'ok'; text: string }
  | { kind: 'missing'; error: unknown }
  | { kind: 'unreadable'; error: unknown }
  | { kind: 'directory' }
  | { kind: 'world-writable' };

/**
 * Opens and reads one file with our bounds. MariaDB stat()s first: a missing
 * file is "not found", a world-writable regular file is ignored; then it
 * fopen()s. We open non-blocking and read at most maxFileBytes + 1 bytes so a
 * FIFO or a device cannot hang us or flood us.
 */
function openBounded(ctx: Context, file: string): Opened {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = errnoOf(e);
    return code === 'ENOENT' || code === 'ENOTDIR' ? { kind: 'missing', error: e } : { kind: 'unreadable', error: e };
  }
  if (st.isDirectory()) return { kind: 'directory' };
  if (st.isFile() && (st.mode & 0o002) !== 0) return { kind: 'world-writable' };
  if (st.isFile() && st.size > LIMITS.maxFileBytes) {
    throw new CheckError('OPTION_FILE_TOO_LARGE', `Option file ${file} is ${st.size} bytes; the limit is ${LIMITS.maxFileBytes}`);
  }
  if (ctx.filesOpened >= LIMITS.maxFiles) {
    throw new CheckError('OPTION_FILE_TOO_LARGE', `More than ${LIMITS.maxFiles} option files to read (an !include loop?) at ${file}`);
  }
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  } catch (e) {
    const code = errnoOf(e);
    return code === 'ENOENT' || code === 'ENOTDIR' ? { kind: 'missing', error: e } : { kind: 'unreadable', error: e };
  }
  ctx.filesOpened++;
  try {
    const fst = fs.fstatSync(fd);
    if (fst.isDirectory()) return { kind: 'directory' };
    if (fst.isFile() && (fst.mode & 0o002) !== 0) return { kind: 'world-writable' };
    const limit = LIMITS.maxFileBytes;
    const chunk = Buffer.allocUnsafe(64 * 1024);
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        return { kind: 'unreadable', error: e }; // EAGAIN on an empty FIFO, EISDIR, EIO, ...
      }
      if (n === 0) break;
      total += n;
      if (total > limit) {
        throw new CheckError('OPTION_FILE_TOO_LARGE', `Option file ${file} is larger than ${limit} bytes`);
      }
      parts.push(Buffer.from(chunk.subarray(0, n)));
    }
    ctx.totalBytes += total;
    if (ctx.totalBytes > LIMITS.maxTotalBytes) {
      throw new CheckError('OPTION_FILE_TOO_LARGE', `Option files add up to more than ${LIMITS.maxTotalBytes} bytes (at ${file})`);
    }
    return { kind: 'ok', text: Buffer.concat(parts, total).toString('latin1') };
  } finally {
    fs.closeSync(fd);
  }
}

type FileRole = 'named' | 'default' | 'included';

/** search_default_file_with_ext(): reads one file and what it includes. */
function readFile(ctx: Context, file: string, depth: number, role: FileRole): void {
  // Included paths are checked by the caller, on the path as written (MariaDB checks that one).
  if (role !== 'included' && Buffer.byteLength(file) > LIMITS.maxPathBytes) {
    if (role === 'named') {
      throw new CheckError('OPTION_FILE_UNREADABLE', `Option file path is longer than ${LIMITS.maxPathBytes} bytes: ${file}`);
    }
    warn(ctx, `Option file path longer than ${LIMITS.maxPathBytes} bytes ignored (as MariaDB does): ${file}`);
    return;
  }
  const opened = openBounded(ctx, file);
  switch (opened.kind) {
    case 'missing':
      if (role === 'named') {
        throw new CheckError('OPTION_FILE_MISSING', `Could not open required option file ${file}: it does not exist`, {
          cause: opened.error,
        });
      }
      if (role === 'included') warn(ctx, `Included option file ${file} does not exist; ignored`);
      return;
    case 'unreadable':
      if (role === 'named') {
        throw new CheckError('OPTION_FILE_UNREADABLE', `Could not read required option file ${file}: ${describe(opened.error)}`, {
          cause: opened.error,
        });
      }
      warn(ctx, `Option file ${file} could not be read; ignored: ${describe(opened.error)}`);
      return;
    case 'directory':
      if (role === 'named') {
        throw new CheckError('OPTION_FILE_UNREADABLE', `Required option file ${file} is a directory`);
      }
      if (role === 'included') warn(ctx, `Included option file ${file} is a directory; ignored`);
      return;
    case 'world-writable':
      warn(ctx, `World-writable config file '${file}' is ignored`);
      return;
    case 'ok':
      break;
  }
  ctx.filesRead.push(file);
  scan(opened.text, {
    file,
    directivesAllowed: depth < LIMITS.maxIncludeDepth,
    group: () => undefined,
    option: (group, name, value, line) => {
      if (!ctx.wanted.has(upperLatin1(group))) return;
      const n = decode(name);
      const v = value === null ? null : decode(value);
      if (!n.ok || (v !== null && !v.ok)) {
        warn(ctx, `Option '${n.text}' in ${file} at line ${line} is not valid UTF-8; invalid bytes replaced by U+FFFD`);
      }
      ctx.entries.push({ group: decodeLoose(group), name: n.text, value: v === null ? null : v.text, file, line });
    },
    directive: (kind, arg, line) => {
      const target = decodeLoose(arg);
      if (kind === 'include') {
        if (Buffer.byteLength(target) > LIMITS.maxPathBytes) {
          warn(ctx, `!include path longer than ${LIMITS.maxPathBytes} bytes ignored (as MariaDB does) in ${file} at line ${line}`);
          return;
        }
        readIncluded(ctx, resolvePath(ctx, target), depth + 1);
      } else {
        includeDir(ctx, target, depth + 1, file, line);
      }
    },
    warn: (message) => warn(ctx, message),
  });
}

/** An included file: MariaDB ignores its failures (after printing them). */
function readIncluded(ctx: Context, file: string, depth: number): void {
  try {
    readFile(ctx, file, depth, 'included');
  } catch (e) {
    if (isMariadbError(e)) {
      warn(ctx, `${e.message}; rest of that file ignored (as MariaDB does)`);
      return;
    }
    throw e;
  }
}

/**
 * !includedir: every entry whose name ends in ".cnf" (after its last '.',
 * case-sensitive; hidden files too), in byte order. The directory itself is
 * not "~"-expanded (MariaDB's my_dir() does not), the files in it are.
 * An unreadable directory is an error of the including file.
 */
function includeDir(ctx: Context, dirArg: string, depth: number, file: string, line: number): void {
  const dir = dirArg.startsWith('/') || ctx.cwd === '' ? dirArg : `${ctx.cwd.replace(/\/+$/, '')}/${dirArg}`;
  const names: Buffer[] = [];
  let handle: fs.Dir | undefined;
  try {
    // Entry names as bytes, to sort them as strcmp() does. (Node supports encoding 'buffer'
    // here; its type declarations do not, hence the casts.)
    handle = fs.opendirSync(dir, { encoding: 'buffer' as BufferEncoding });
    for (;;) {
      const ent = handle.readSync();
      if (ent === null) break;
      if (names.length >= LIMITS.maxDirEntries) {
        throw new CheckError(
          'OPTION_FILE_TOO_LARGE',
          `!includedir ${dirArg} in ${file} at line ${line} lists more than ${LIMITS.maxDirEntries} entries`,
        );
      }
      names.push(ent.name as unknown as Buffer);
    }
  } catch (e) {
    if (e instanceof CheckError) throw e;
    const code = errnoOf(e) === 'ENOENT' ? 'OPTION_FILE_MISSING' : 'OPTION_FILE_UNREADABLE';
    throw mariadbError(code, `Can't read dir of '${dirArg}' (!includedir in ${file} at line ${line}): ${describe(e)}`, e);
  } finally {
    handle?.closeSync();
  }
  names.sort(Buffer.compare);
  const base = dirArg.endsWith('/') ? dirArg : `${dirArg}/`;
  for (const raw of names) {
    const name = raw.toString('latin1');
    const dot = name.lastIndexOf('.');
    if (dot === -1 || name.slice(dot) !== '.cnf') continue;
    const joined = base + raw.toString('utf8');
    if (Buffer.byteLength(joined) > LIMITS.maxPathBytes) {
      warn(ctx, `Option file path longer than ${LIMITS.maxPathBytes} bytes ignored (as MariaDB does): ${joined}`);
      continue;
    }
    readIncluded(ctx, resolvePath(ctx, joined), depth);
  }
}

/** normalize_dirname(): lexical clean-up plus a trailing '/'; "" stays "". */
function normaliseDir(dir: string): string {
  if (dir === '') return '';
  const n = path.posix.normalize(dir);
  return n.endsWith('/') ? n : `${n}/`;
}

/** array_append_string_unique(): a value already present moves to the end. */
function appendUnique(list: string[], value: string): void {
  const i = list.indexOf(value);
  if (i !== -1) list.splice(i, 1);
  list.push(value);
}

const EXTRA_FILE_SLOT = '';
/* ------------------------------------------------------------------------ */
/* Public API                                                                */

/**
 * Reads the option files for `groups` (e.g. ['client', 'mysql-failover-check'])
 * as the MariaDB client library would, and returns their options in the order
 * read. Group names match case-insensitively (latin1), as MariaDB's find_type.
 * Throws CheckError: USAGE, OPTION_FILE_MISSING, OPTION_FILE_UNREADABLE,
 * OPTION_FILE_SYNTAX, OPTION_FILE_TOO_LARGE.
 */
export function readOptionFiles(groups: readonly string[], settings: OptionFileSettings = {}): OptionFilesResult {
  for (const g of groups) {
    if (typeof g !== 'string' || g.includes('\0')) throw new CheckError('USAGE', `Invalid option group name ${JSON.stringify(g)}`);
  }
  for (const [key, value] of [
    ['defaultsFile', settings.defaultsFile],
    ['defaultsExtraFile', settings.defaultsExtraFile],
  ] as const) {
    if (value !== undefined && (value === '' || value.includes('\0'))) {
      throw new CheckError('USAGE', `${key === 'defaultsFile' ? '--defaults-file' : '--defaults-extra-file'} needs a file name`);
    }
  }
  if (settings.groupSuffix !== undefined && settings.groupSuffix.includes('\0')) {
    throw new CheckError('USAGE', 'Invalid --defaults-group-suffix');
  }
  if (settings.noDefaults) return { entries: [], warnings: [], filesRead: [] };

  const env = settings.env ?? process.env;
  const suffix = settings.groupSuffix ?? env['MARIADB_GROUP_SUFFIX'] ?? env['MYSQL_GROUP_SUFFIX'];
  const wanted = new Set<string>();
  for (const g of groups) {
    wanted.add(upperLatin1(toBinary(g)));
    if (suffix !== undefined) wanted.add(upperLatin1(toBinary(g + suffix)));
  }
  const ctx: Context = {
    wanted,
    home: settings.home ?? env['HOME'],
    cwd: settings.cwd ?? process.cwd(),
    entries: [],
    warnings: [],
    droppedWarnings: 0,
    filesRead: [],
    totalBytes: 0,
    filesOpened: 0,
  };

  if (settings.defaultsFile !== undefined) {
    readFile(ctx, resolvePath(ctx, settings.defaultsFile), 0, 'named');
  } else {
    const files: Array<{ file: string; role: FileRole }> = [];
    const homeFile = ctx.home === undefined ? undefined : expandTilde('~/.my.cnf', ctx.home);
    if (settings.defaultFiles !== undefined) {
      for (const f of settings.defaultFiles) files.push({ file: resolvePath(ctx, f), role: 'default' });
      if (settings.defaultsExtraFile !== undefined) files.push({ file: resolvePath(ctx, settings.defaultsExtraFile), role: 'named' });
      if (homeFile !== undefined) files.push({ file: homeFile, role: 'default' });
    } else {
      // init_default_directories() on Unix, as built by Debian (no DEFAULT_SYSCONFDIR).
      const dirs: string[] = [];
      appendUnique(dirs, '/etc/');
      appendUnique(dirs, '/etc/mysql/');
      const mariadbHome = env['MARIADB_HOME'] ?? env['MYSQL_HOME'];
      if (mariadbHome !== undefined) appendUnique(dirs, normaliseDir(mariadbHome));
      appendUnique(dirs, EXTRA_FILE_SLOT);
      appendUnique(dirs, '~/');
      for (const dir of dirs) {
        if (dir === EXTRA_FILE_SLOT) {
          if (settings.defaultsExtraFile !== undefined) {
            files.push({ file: resolvePath(ctx, settings.defaultsExtraFile), role: 'named' });
          }
        } else if (dir.startsWith('~')) {
          // Files in a "~" directory get a leading dot: ~/.my.cnf.
          if (ctx.home !== undefined) files.push({ file: resolvePath(ctx, `${dir}.my.cnf`), role: 'default' });
        } else {
          files.push({ file: resolvePath(ctx, `${dir}my.cnf`), role: 'default' });
        }
      }
    }
    for (const { file, role } of files) readFile(ctx, file, 0, role);
  }

  if (ctx.droppedWarnings > 0) ctx.warnings.push(`... and ${ctx.droppedWarnings} more warnings`);
  return { entries: ctx.entries, warnings: ctx.warnings, filesRead: ctx.filesRead };
}
