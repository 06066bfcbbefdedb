/**
 * The MySQL/MariaDB option-file syntax, pure: one file's text to its groups,
 * options and !include/!includedir directives, exactly as MariaDB 10.11's
 * client library reads them (mysys/my_default.c,
 * search_default_file_with_ext's loop). No file system access: the reader
 * (option-file-reader.ts) opens the files and follows the directives. The
 * test suite checks both byte for byte against `my_print_defaults`;
 * everything below that says "MariaDB does X" was checked against
 * my_print_defaults 10.11.19, not only read in the source.
 *
 * Where the parser deliberately differs from MariaDB (all of them stricter,
 * none changes the options of a file we accept):
 *   - a NUL byte -> OPTION_FILE_SYNTAX (MariaDB's fgets/strlen silently cut the
 *     line at the NUL);
 *   - a line longer than 4094 bytes -> OPTION_FILE_SYNTAX. MariaDB reads lines
 *     with fgets(buff, 4095): a longer line is silently split and the rest is
 *     parsed as a new line (a long password would become a truncated password
 *     plus a bogus option), so we reject instead of matching;
 *   - an option line with an empty name ("=value") -> OPTION_FILE_SYNTAX (MariaDB
 *     reads memory before the line buffer there, with output that depends on it).
 *
 * Bytes, not characters: MariaDB works on bytes with latin1 ctype tables, so we
 * parse the raw bytes (held in a latin1 "binary" string) and only decode names,
 * values and group names as UTF-8 at the end. This matters: latin1 0xA0 is a
 * space to MariaDB, so a value ending in "à" (UTF-8 C3 A0) loses its last byte,
 * and we reproduce that (with a warning that the value is not valid UTF-8).
 */
import { TextDecoder } from 'node:util';
import { CheckError, type ErrorCode } from '../core/errors';

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
export function upperLatin1(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0xe0 && c <= 0xfe && c !== 0xf7)) c -= 0x20;
    out += String.fromCharCode(c);
  }
  return out;
}

export function toBinary(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes a byte string as UTF-8; `ok` is false when it was not valid UTF-8 (bad bytes become U+FFFD). */
export function decode(bin: string): { text: string; ok: boolean } {
  const bytes = Buffer.from(bin, 'latin1');
  try {
    return { text: strictUtf8.decode(bytes), ok: true };
  } catch {
    return { text: bytes.toString('utf8'), ok: false };
  }
}

export function decodeLoose(bin: string): string {
  return Buffer.from(bin, 'latin1').toString('utf8');
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */

/**
 * Errors MariaDB itself reports for a file (syntax, bad directive, unreadable
 * !includedir): fatal at the top, a warning when raised inside an included file.
 */
const mariadbErrors = new WeakSet<CheckError>();

export function mariadbError(code: ErrorCode, message: string, cause?: unknown): CheckError {
  const e = new CheckError(code, message, cause === undefined ? undefined : { cause });
  mariadbErrors.add(e);
  return e;
}

/** Whether MariaDB itself would report `e` for a file (so an including file carries on). */
export function isMariadbError(e: unknown): e is CheckError {
  return e instanceof CheckError && mariadbErrors.has(e);
}

/* ------------------------------------------------------------------------ */
/* The line parser (search_default_file_with_ext's loop)                     */

export interface ScanSink {
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
export function scan(text: string, sink: ScanSink): void {
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
