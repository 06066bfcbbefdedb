/**
 * Option values from text, each with the error message an operator can act
 * on (CheckError('USAGE'), naming the option and quoting what was given).
 */
import { CheckError } from '../core/errors';

export function parseSeconds(name: string, text: string, opts: { min: number; max: number }): number {
  if (!/^\d+(\.\d+)?$/.test(text.trim())) {
    throw new CheckError('USAGE', `--${name} must be a number of seconds, got ${JSON.stringify(text)}`);
  }
  const n = Number(text);
  if (!Number.isFinite(n) || n > opts.max || n < opts.min) {
    throw new CheckError('USAGE', `--${name} must be between ${opts.min} and ${opts.max} seconds, got ${JSON.stringify(text)}`);
  }
  return n;
}

export function parsePort(name: string, text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new CheckError('USAGE', `--${name} must be a TCP port (1-65535), got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/** `HOST`, `HOST:PORT`, `[V6]` or `[V6]:PORT`. */
export function parseHostPort(name: string, text: string, defaultPort: number): { host: string; port: number } {
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$/.exec(text);
  if (v6) return { host: v6[1] as string, port: v6[2] === undefined ? defaultPort : parsePort(name, v6[2]) };
  const m = /^([A-Za-z0-9._-]+)(?::(\d+))?$/.exec(text);
  if (!m) throw new CheckError('USAGE', `--${name} must be HOST[:PORT], got ${JSON.stringify(text)}`);
  return { host: m[1] as string, port: m[2] === undefined ? defaultPort : parsePort(name, m[2]) };
}
