/**
 * --help from an executable's usage text and its option table: one line per
 * option the command line takes, with its default. The executable's own
 * options come first; the options every executable shares follow in blocks
 * that are the same in every --help, so the README quotes them once.
 */
import type { OptionSpec } from './option-specs';

export const COMMON_HEADER = 'Options of every executable (also settable in the [mysql-failover-check] group of the option files):';
export const FAILOVER_HEADER = 'Holding a failover and acting on it, every executable (all off unless set):';

function optionLine(s: OptionSpec): string {
  const flag = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.arg ? ` ${s.arg}` : ''}`;
  const shown = s.default ?? s.defaultText;
  const def = shown !== undefined ? ` (default: ${shown})` : '';
  return `  ${flag.padEnd(34)} ${s.help}${def}`;
}

export function helpText(usage: string, specs: readonly OptionSpec[], footer = ''): string {
  const shown = specs.filter((s) => s.cli !== false);
  const lines = [usage, '', 'Options:', ...shown.filter((s) => s.group === undefined).map(optionLine)];
  if (footer) lines.push('', footer);
  const common = shown.filter((s) => s.group === 'common');
  const failover = shown.filter((s) => s.group === 'failover');
  if (common.length > 0) lines.push('', COMMON_HEADER, ...common.map(optionLine));
  if (failover.length > 0) lines.push('', FAILOVER_HEADER, ...failover.map(optionLine));
  lines.push(
    '',
    'Credentials come from MySQL option files: /etc/my.cnf, /etc/mysql/my.cnf, ~/.my.cnf',
    '(groups [client] and [mysql-failover-check]); never from the command line.',
  );
  return lines.join('\n') + '\n';
}
