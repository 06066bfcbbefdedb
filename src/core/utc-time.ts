/**
 * Timestamps as `Date.prototype.toISOString()` writes them, without its
 * cost: V8's first toISOString() in a process initialises the local time
 * zone (it reads /etc/localtime through ICU), about a millisecond of a
 * single-shot probe that only ever writes UTC. The getUTC* accessors need
 * no time zone.
 */

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** `new Date(ms).toISOString()`, e.g. 2024-05-01T12:00:10.000Z; years outside 0-9999 (and NaN) are left to it. */
export function isoUtc(ms: number): string {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) return d.toISOString();
  return (
    `${pad(year, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T` +
    `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(d.getUTCMilliseconds(), 3)}Z`
  );
}
