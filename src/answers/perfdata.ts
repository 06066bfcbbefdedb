/**
 * Monitoring Plugins performance data, pure: one datum is
 * `'label'=value[UOM];[warn];[crit];[min];[max]` (Monitoring Plugins
 * development guidelines, "Performance data"). A value that could not be
 * determined is `U`, never 0: a NULL replication lag must not graph as
 * "caught up".
 */
export interface Perfdatum {
  label: string;
  /** null: could not be determined (printed as U). */
  value: number | null;
  uom?: string;
  /** Ranges as the operator wrote them (-w/-c are in range format). */
  warn?: string | undefined;
  crit?: string | undefined;
  min?: number | undefined;
  max?: number | undefined;
}

/** A number as the plugin prints it, in perfdata and text alike: integers as they are, others to 3 decimals. */
export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return String(Math.round(n * 1000) / 1000);
}

/**
 * Quotes a perfdata label: single quotes always (the Icinga guidelines ask
 * for them), a quote inside doubled; '=' cannot be escaped, so it becomes '_'.
 */
export function perfLabel(label: string): string {
  return `'${label.replace(/=/g, '_').replace(/'/g, "''")}'`;
}

/** `'label'=value[UOM];[warn];[crit];[min];[max]`, trailing empty fields dropped. */
export function formatPerfdatum(p: Perfdatum): string {
  const value = p.value === null ? 'U' : `${formatNumber(p.value)}${p.uom ?? ''}`;
  const fields = [
    value,
    p.warn ?? '',
    p.crit ?? '',
    p.min === undefined ? '' : formatNumber(p.min),
    p.max === undefined ? '' : formatNumber(p.max),
  ];
  while (fields.length > 1 && fields[fields.length - 1] === '') fields.pop();
  return `${perfLabel(p.label)}=${fields.join(';')}`;
}
