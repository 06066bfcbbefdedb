/**
 * An executable's stdout and stderr for people and monitoring systems (the
 * Nagios plugin, mysql-failover-check): every text leaves the process
 * through here, so here, once, the passwords the options hold are scrubbed
 * from it, whatever code made the text (a server's error, an option file's
 * complaint, a status report).
 */
import { writeSync } from 'node:fs';
import { CheckError } from '../core/errors';
import { redact } from '../core/redact';

export class Terminal {
  private secrets: readonly string[] = [];

  /** From now on these are scrubbed from everything written (known once the option files are read). */
  scrub(secrets: readonly string[]): void {
    this.secrets = secrets;
  }

  /**
   * Writes to stdout. A reader that went away (`... | head -1`) throws
   * STDOUT_CLOSED, which the executable ends on quietly: it is no error of
   * ours. Anything else throws as it is (the caller's answer is lost then).
   */
  out(text: string): void {
    try {
      writeSync(1, redact(text, this.secrets));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPIPE')
        throw new CheckError('STDOUT_CLOSED', 'stdout was closed by its reader', { cause: e });
      throw e;
    }
  }

  /** `value` as JSON on stdout; strings are scrubbed before they are quoted, so an escaped secret cannot slip through. */
  json(value: unknown, indent?: number): void {
    const clean = (_key: string, v: unknown): unknown => (typeof v === 'string' ? redact(v, this.secrets) : v);
    this.out(JSON.stringify(value, clean, indent) + '\n');
  }

  /** Writes to stderr; a closed stderr is ignored (nobody is left to tell). */
  err(text: string): void {
    try {
      writeSync(2, redact(text, this.secrets));
    } catch {
      // stderr gone
    }
  }
}
