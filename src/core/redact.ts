/**
 * Secrets never leave the process: the passwords the options hold are
 * replaced by *** in every text written out. The writers call this (the log
 * line, src/io/log-file.ts; the executables' stdout and stderr,
 * src/cli/terminal.ts), not the code that makes the texts, so no path can
 * forget it.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 1) out = out.split(s).join('***');
  return out;
}
