/**
 * MySQL/MariaDB option-file reader: the only module in the project that touches
 * configuration files.
 *
 * It reads option files the way MariaDB 10.11's client library does
 * (mysys/my_default.c), and the test suite checks it byte for byte against
 * `my_print_defaults`. Everything below that says "MariaDB does X" was checked
 * against my_print_defaults 10.11.19, not only read in the source.
 *
 * API
 * ---
 *   readOptionFiles(groups, settings?) -> { entries, warnings, filesRead }
 *       Reads the option files (default list, or --defaults-file, or the default
 *       list plus --defaults-extra-file), follows !include/!includedir, and returns
 *       the options of the wanted groups in the order read, i.e. exactly the lines
 *       `my_print_defaults [--defaults-...] group...` prints. Throws CheckError.
 *   optionValues(entries) -> Map<normalised name, value>   (last one wins)
 *   normaliseOptionName(name)                              ('_' -> '-', lower case)
 *   formatOptionEntry(entry) -> '--name=value' | '--name'  (as my_print_defaults prints)
 *   parseOptionFileText(text, file?) -> OptionFileItem[]
 *       Pure parser of one file's text (no file system access, directives are
 *       returned, not followed); throws CheckError and nothing else. For unit
 *       tests and fuzzing.
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
 * Where we deliberately differ from MariaDB (all of them stricter, none changes
 * the options of a file we accept):
 *   - a file over LIMITS.maxFileBytes, more than LIMITS.maxFiles files, more than
 *     LIMITS.maxTotalBytes in all, or an !includedir with more than
 *     LIMITS.maxDirEntries entries -> OPTION_FILE_TOO_LARGE;
 *   - a NUL byte -> OPTION_FILE_SYNTAX (MariaDB's fgets/strlen silently cut the
 *     line at the NUL);
 *   - a line longer than 4094 bytes -> OPTION_FILE_SYNTAX. MariaDB reads lines
 *     with fgets(buff, 4095): a longer line is silently split and the rest is
 *     parsed as a new line (a long password would become a truncated password
 *     plus a bogus option), so we reject instead of matching;
 *   - an option line with an empty name ("=value") -> OPTION_FILE_SYNTAX (MariaDB
 *     reads memory before the line buffer there, with output that depends on it);
 *   - --defaults-file/--defaults-extra-file naming a directory, a socket or
 *     anything we cannot open -> OPTION_FILE_UNREADABLE (MariaDB silently reads
 *     nothing from a directory);
 *   - files are opened non-blocking and read with a byte bound, so a FIFO or a
 *     device can neither hang nor flood us (/dev/null still works);
 *   - with HOME unset ~/.my.cnf is skipped (MariaDB then looks for a literal
 *     "~/.my.cnf" relative to the current directory);
 *   - "~user/" is not expanded (MariaDB uses getpwnam), only "~" and "~/".
 *
 * Bytes, not characters: MariaDB works on bytes with latin1 ctype tables, so we
 * parse the raw bytes (held in a latin1 "binary" string) and only decode names,
 * values and group names as UTF-8 at the end. This matters: latin1 0xA0 is a
 * space to MariaDB, so a value ending in "à" (UTF-8 C3 A0) loses its last byte,
 * and we reproduce that (with a warning that the value is not valid UTF-8).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TextDecoder } from 'node:util';
import { CheckError, type ErrorCode } from '../core/errors';

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

export interface OptionEntry {
  /** The group as written in the file (after trimming), e.g. "client" or "CLIENT_suffix". */
  group: string;
  /** The option name as written (trimmed), e.g. "password" or "ssl_ca". Not normalised. */
  name: string;
  /** The value after MariaDB's unquoting and unescaping; null for a bare flag ("name" without "="). */
  value: string | null;
  /** The file it came from, as opened (absolute unless a relative path was given with a relative cwd). */
  file: string;
  /** 1-based line number in that file. */
  line: number;
}

export interface OptionFilesResult {
  /** The options of the wanted groups, in the order read (my_print_defaults order). */
  entries: OptionEntry[];
  /** Things MariaDB would print to stderr without failing (world-writable file ignored, include depth reached, a broken included file, ...). */
  warnings: string[];
  /** Every file opened and parsed, in order. */
  filesRead: string[];
}

export type OptionFileItem =
  | { kind: 'group'; group: string; line: number }
  | { kind: 'option'; group: string; name: string; value: string | null; line: number }
  | { kind: 'include' | 'includedir'; path: string; line: number };

/** Our bounds (the MySQL client has none; a load-balancer check must never hang or eat memory). */
export const LIMITS = Object.freeze({
  /** Largest single option file we read. */
  maxFileBytes: 1024 * 1024,
  /** Largest total over all files of one readOptionFiles call. */
  maxTotalBytes: 8 * 1024 * 1024,
  /** Most files (default, named and included) one readOptionFiles call opens. */
  maxFiles: 256,
  /** Most directory entries one !includedir may list. */
  maxDirEntries: 1024,
  /** Longest line MariaDB reads in one piece (fgets into char[4096] with size 4095, minus the newline). */
  maxLineBytes: 4094,
  /** MariaDB's max_recursion_level: files nested deeper than this are not followed (a warning instead). */
  maxIncludeDepth: 10,
  /** Longest path MariaDB accepts (FN_REFLEN - 3); longer include paths are silently skipped by it. */
  maxPathBytes: 508,
  /** Warnings kept in a result; the rest are counted in one last warning. */
  maxWarnings: 100,
});

/* ------------------------------------------------------------------------ */
/* Byte-level helpers (strings here hold one byte per char, latin1)          */

/** my_isspace(&my_charset_latin1, c): \t \n \v \f \r, space and 0xA0 (checked against my_print_defaults). */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;
}

/** my_toupper(&my_charset_latin1, c), as find_type() uses to compare group names case-insensitively. */
function upperLatin1(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0xe0 && c <= 0xfe && c !== 0xf7)) c -= 0x20;
    out += String.fromCharCode(c);
  }
  return out;
}

function toBinary(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes a byte string as UTF-8; `ok` is false when it was not valid UTF-8 (bad bytes become U+FFFD). */
function decode(bin: string): { text: string; ok: boolean } {
  const bytes = Buffer.from(bin, 'latin1');
  try {
    return { text: strictUtf8.decode(bytes), ok: true };
  } catch {
    return { text: bytes.toString('utf8'), ok: false };
  }
}

function decodeLoose(bin: string): string {
  return Buffer.from(bin, 'latin1').toString('utf8');
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */

/**
 * Errors MariaDB itself reports for a file (syntax, bad directive, unreadable
 * !includedir): fatal at the top, a warning when raised inside an included file.
 */
const mariadbErrors = new WeakSet<CheckError>();

function mariadbError(code: ErrorCode, message: string, cause?: unknown): CheckError {
  const e = new CheckError(code, message, cause === undefined ? undefined : { cause });
  mariadbErrors.add(e);
  return e;
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
/* The line parser (search_default_file_with_ext's loop)                     */

interface ScanSink {
  /** Name for messages. */
  file: string;
  /** False at MariaDB's maximum include depth: every "!" line is skipped with a warning. */
  directivesAllowed: boolean;
  group(group: string, line: number): void;
  option(group: string, name: string, value: string | null, line: number): void;
  directive(kind: 'include' | 'includedir', arg: string, line: number): void;
  warn(message: string): void;
}

/**
 * remove_end_comment(): the index of the first '#' outside quotes (or the end).
 * Quotes are ' or "; inside quotes a backslash protects the next character.
 */
function endOfContent(buf: string, from: number): number {
  let quote = '';
  let escape = false;
  for (let i = from; i < buf.length; i++) {
    const ch = buf[i];
    if ((ch === "'" || ch === '"') && !escape) {
      if (!quote) quote = ch;
      else if (quote === ch) quote = '';
    }
    if (!quote && ch === '#') return i;
    escape = quote !== '' && ch === '\\' && !escape;
  }
  return buf.length;
}

/**
 * get_argument(): the path after "!include " / "!includedir ". `start` is just
 * after the keyword. MariaDB assumes the line ends with the newline fgets kept
 * and always drops the last character, so on a last line without a newline the
 * path loses its final character - we do the same. An empty path is an error.
 */
function directiveArgument(buf: string, start: number, keyword: string, file: string, line: number): string {
  let s = start;
  while (s < buf.length && isSpace(buf.charCodeAt(s))) s++;
  let e = buf.length - 1;
  // buf[start - 1] is the keyword's last letter, so this stops before it.
  while (e > 0 && isSpace(buf.charCodeAt(e - 1))) e--;
  if (e <= s) {
    throw mariadbError('OPTION_FILE_SYNTAX', `Wrong '!${keyword}' directive in option file ${file} at line ${line}`);
  }
  return buf.slice(s, e);
}

function unescapeValue(buf: string, v: number, ve: number): string {
  let out = '';
  for (let i = v; i < ve; i++) {
    const ch = buf[i] as string;
    if (ch === '\\' && i !== ve - 1) {
      i++;
      const n = buf[i] as string;
      // A table, one escape a line.
      // prettier-ignore
      switch (n) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 's': out += ' '; break;
        case '"': out += '"'; break;
        case "'": out += "'"; break;
        case '\\': out += '\\'; break;
        default: out += '\\' + n; break; // unknown escape: keep the backslash
      }
    } else {
      out += ch;
    }
  }
  return out;
}

/** Parses one file's bytes (as a latin1 string), calling `sink` in file order. */
function scan(text: string, sink: ScanSink): void {
  const nul = text.indexOf('\0');
  if (nul !== -1) {
    const line = countLines(text, nul);
    throw new CheckError('OPTION_FILE_SYNTAX', `NUL byte in option file ${sink.file} at line ${line}`);
  }
  let group: string | null = null;
  let line = 0;
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const next = nl === -1 ? text.length : nl + 1;
    const buf = text.slice(pos, next); // keeps the '\n', as fgets does
    pos = next;
    line++;
    const contentBytes = nl === -1 ? buf.length : buf.length - 1;
    if (contentBytes > LIMITS.maxLineBytes) {
      throw new CheckError(
        'OPTION_FILE_SYNTAX',
        `Line ${line} of option file ${sink.file} is ${contentBytes} bytes long; ` +
          `MariaDB reads at most ${LIMITS.maxLineBytes} bytes per line and would split it`,
      );
    }

    let p = 0;
    while (p < buf.length && isSpace(buf.charCodeAt(p))) p++;
    if (p === buf.length) continue; // empty line
    const first = buf[p];
    if (first === '#' || first === ';') continue; // comment line

    if (first === '!') {
      if (!sink.directivesAllowed) {
        sink.warn(
          `Skipping '${decodeLoose(buf.slice(p).replace(/[\s\xa0]+$/, ''))}' directive: maximum include depth ` +
            `(${LIMITS.maxIncludeDepth}) reached in option file ${sink.file} at line ${line}`,
        );
        continue;
      }
      p++;
      while (p < buf.length && isSpace(buf.charCodeAt(p))) p++;
      if (buf.startsWith('includedir', p) && isSpace(buf.charCodeAt(p + 10))) {
        sink.directive('includedir', directiveArgument(buf, p + 10, 'includedir', sink.file, line), line);
      } else if (buf.startsWith('include', p) && isSpace(buf.charCodeAt(p + 7))) {
        sink.directive('include', directiveArgument(buf, p + 7, 'include', sink.file, line), line);
      }
      // Any other "!" line is silently ignored, as MariaDB does.
      continue;
    }

    if (first === '[') {
      const close = buf.indexOf(']', p + 1);
      if (close === -1) {
        throw mariadbError('OPTION_FILE_SYNTAX', `Wrong group definition in option file ${sink.file} at line ${line}: no ']'`);
      }
      let e = close;
      while (isSpace(buf.charCodeAt(e - 1))) e--; // stops at the '['
      group = buf.slice(p + 1, e); // whatever follows ']' is ignored
      sink.group(group, line);
      continue;
    }

    if (group === null) {
      throw mariadbError('OPTION_FILE_SYNTAX', `Found option without preceding group in option file ${sink.file} at line ${line}`);
    }

    const cut = endOfContent(buf, p);
    const eqAt = buf.indexOf('=', p);
    const eq = eqAt !== -1 && eqAt < cut ? eqAt : -1;
    if (eq === p) {
      throw new CheckError('OPTION_FILE_SYNTAX', `Option without a name in option file ${sink.file} at line ${line}`);
    }
    let nameEnd = eq === -1 ? cut : eq;
    while (nameEnd > p && isSpace(buf.charCodeAt(nameEnd - 1))) nameEnd--;
    const name = buf.slice(p, nameEnd);
    if (eq === -1) {
      sink.option(group, name, null, line);
      continue;
    }
    let v = eq + 1;
    while (v < cut && isSpace(buf.charCodeAt(v))) v++;
    let ve = cut;
    while (ve > eq + 1 && isSpace(buf.charCodeAt(ve - 1))) ve--;
    if (ve < v) ve = v;
    const q = buf[v];
    if ((q === '"' || q === "'") && v + 1 < ve && buf[ve - 1] === q) {
      v++;
      ve--;
    }
    sink.option(group, name, unescapeValue(buf, v, ve), line);
  }
}

function countLines(text: string, upTo: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < upTo; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Parses the text of one option file without touching the file system:
 * returns its groups, options (all groups) and !include/!includedir directives
 * (not followed) in file order. A string is taken as UTF-8; bytes as they are.
 * Throws only CheckError: OPTION_FILE_SYNTAX where MariaDB would reject the file
 * (or where we are stricter, see the top of this file), OPTION_FILE_TOO_LARGE
 * over LIMITS.maxFileBytes.
 */
export function parseOptionFileText(text: string | Uint8Array, file = '<text>'): OptionFileItem[] {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  if (bytes.length > LIMITS.maxFileBytes) {
    throw new CheckError('OPTION_FILE_TOO_LARGE', `Option file ${file} is larger than ${LIMITS.maxFileBytes} bytes`);
  }
  const items: OptionFileItem[] = [];
  scan(bytes.toString('latin1'), {
    file,
    directivesAllowed: true,
    group: (group, line) => items.push({ kind: 'group', group: decodeLoose(group), line }),
    option: (group, name, value, line) =>
      items.push({
        kind: 'option',
        group: decodeLoose(group),
        name: decodeLoose(name),
        value: value === null ? null : decodeLoose(value),
        line,
      }),
    directive: (kind, arg, line) => items.push({ kind, path: decodeLoose(arg), line }),
    warn: () => undefined,
  });
  return items;
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
    if (e instanceof CheckError && mariadbErrors.has(e)) {
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

/**
 * The key under which MariaDB's my_getopt looks an option up: '-' and '_' are
 * the same character and (since MariaDB 10.11.12, MDEV-27126) case does not
 * matter. Prefixes my_getopt also understands ("loose-", "skip-", unique
 * abbreviations such as "pass" for "password") are the caller's business.
 */
export function normaliseOptionName(name: string): string {
  return name.replace(/_/g, '-').replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/** Option values by normalised name; a later entry overrides an earlier one, as on the command line. */
export function optionValues(entries: readonly OptionEntry[]): Map<string, string | null> {
  const values = new Map<string, string | null>();
  for (const e of entries) values.set(normaliseOptionName(e.name), e.value);
  return values;
}

/** An entry as my_print_defaults prints it: "--name=value", or "--name" for a flag. */
export function formatOptionEntry(entry: Pick<OptionEntry, 'name' | 'value'>): string {
  return entry.value === null ? `--${entry.name}` : `--${entry.name}=${entry.value}`;
}
