/**
 * --help from an executable's usage text and its option table: one line per
 * option the command line takes, with its default.
 */
import type { OptionSpec } from './option-specs';

export function helpText(usage: string, specs: readonly OptionSpec[], footer = ''): string {
  const lines = [usage, '', 'Options (also settable in the [mysql-failover-check] group of the option files):'];
  for (const s of specs) {
    if (s.cli === false) continue;
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.arg ? ` ${s.arg}` : ''}`;
    const shown = s.default ?? s.defaultText;
    const def = shown !== undefined ? ` (default: ${shown})` : '';
    lines.push(`  ${flag.padEnd(34)} ${s.help}${def}`);
  }
  lines.push(
    '',
    'Credentials come from MySQL option files: /etc/my.cnf, /etc/mysql/my.cnf, ~/.my.cnf',
    '(groups [client] and [mysql-failover-check]); never from the command line.',
  );
  if (footer) lines.push('', footer);
  return lines.join('\n') + '\n';
}
