/**
 * Monitoring Plugins threshold ranges (`-w`/`-c`), pure.
 *
 * Syntax `[@][START:][END]` (Monitoring Plugins development guidelines,
 * "Threshold and ranges"):
 * - `10`     alert when x < 0 or x > 10 (outside 0..10)
 * - `10:`    alert when x < 10 (outside 10..+inf)
 * - `~:10`   alert when x > 10 (outside -inf..10)
 * - `10:20`  alert when x < 10 or x > 20 (outside 10..20, ends inclusive)
 * - `@10:20` alert when 10 <= x <= 20 (inside, ends inclusive)
 * - a missing START means 0 (`:10` is `0:10`), a missing END means +inf,
 *   `~` as START means -inf; START must not be greater than END.
 *
 * Stricter than the C library of monitoring-plugins, which reads a typo as 0
 * through strtod (`-w abc` there silently means `-w 0`): every part must be a
 * plain decimal number, and an empty range (``, `@`, `:`) is refused, as
 * the current guidelines say. Errors name the offending text.
 */
import { CheckError } from '../core/errors';

export interface Range {
  /** The text as given, for perfdata (warn/crit fields are in range format). */
  text: string;
  /** -Infinity for `~`. */
  start: number;
  /** +Infinity when omitted. */
  end: number;
  /** true with the `@` prefix: alert when inside start..end. */
  inside: boolean;
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

function parseNumber(part: string, what: string, option: string, text: string): number {
  if (!NUMBER.test(part)) {
    throw new CheckError('USAGE', `${option}: bad ${what} ${JSON.stringify(part)} in range ${JSON.stringify(text)}`);
  }
  const n = Number(part);
  if (!Number.isFinite(n)) {
    throw new CheckError('USAGE', `${option}: ${what} ${JSON.stringify(part)} is out of range in ${JSON.stringify(text)}`);
  }
  return n;
}

/**
 * Parses a range; `option` names the option in error messages
 * (e.g. `-w/--warning`). Throws a USAGE CheckError naming the bad value.
 */
export function parseRange(text: string, option = 'range'): Range {
  const quoted = JSON.stringify(text);
  if (text.length > 64) throw new CheckError('USAGE', `${option}: range too long: ${quoted.slice(0, 70)}...`);
  let body = text;
  let inside = false;
  if (body.startsWith('@')) {
    inside = true;
    body = body.slice(1);
  }
  if (body === '') throw new CheckError('USAGE', `${option}: empty range ${quoted}`);

  const colon = body.indexOf(':');
  let start = 0;
  let end = Infinity;
  if (colon === -1) {
    if (body === '~') throw new CheckError('USAGE', `${option}: '~' needs a ':' (as in ~:10) in ${quoted}`);
    end = parseNumber(body, 'end', option, text);
  } else {
    const startText = body.slice(0, colon);
    const endText = body.slice(colon + 1);
    if (endText.includes(':')) throw new CheckError('USAGE', `${option}: more than one ':' in ${quoted}`);
    if (startText === '' && endText === '') throw new CheckError('USAGE', `${option}: empty range ${quoted}`);
    if (startText === '~') start = -Infinity;
    else if (startText !== '') start = parseNumber(startText, 'start', option, text);
    if (endText !== '') end = parseNumber(endText, 'end', option, text);
  }
  if (start > end) {
    throw new CheckError('USAGE', `${option}: start ${start} is greater than end ${end} in ${quoted}`);
  }
  return { text, start, end, inside };
}

/** Whether `value` raises the alert of this range (ends inclusive). */
export function rangeAlerts(range: Range, value: number): boolean {
  const within = value >= range.start && value <= range.end;
  return range.inside ? within : !within;
}

/** The range in words, for detail lines: "alert when > 10". */
export function describeRange(range: Range): string {
  const { start, end } = range;
  if (range.inside) {
    if (start === -Infinity && end === Infinity) return 'always alert';
    if (start === -Infinity) return `alert when <= ${end}`;
    if (end === Infinity) return `alert when >= ${start}`;
    return `alert when ${start} <= x <= ${end}`;
  }
  if (start === -Infinity && end === Infinity) return 'never alert';
  if (start === -Infinity) return `alert when > ${end}`;
  if (end === Infinity) return `alert when < ${start}`;
  return `alert when < ${start} or > ${end}`;
}
