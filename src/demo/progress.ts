/**
 * Progress while the walk waits (for replication, for an outage to outlast
 * --fresh, for the executables), so a person never stares at silence:
 * - on a terminal, one line redrawn in place: a spinner, what is awaited, the
 *   latest status (e.g. "8 s behind") and the seconds so far; it is erased
 *   when the wait ends, so the transcript keeps only the results;
 * - otherwise (a pipe, a log), the label once and a status line every few
 *   seconds, since a redrawn line would be noise there.
 */
export interface ProgressOptions {
  write: (text: string) => void;
  /** True when the output is a terminal (redraw in place). */
  tty: boolean;
  /**
   * The terminal's width: a longer line would wrap, and erasing then clears
   * only its last row, leaving the rest on the screen. 80 unless given.
   */
  columns?: number;
  /** Non-terminal output: seconds between status lines. */
  lineEverySeconds?: number;
}

export interface WaitOptions {
  /** The latest state of what is awaited, in a few words; polled, never two calls at once. */
  status?: () => Promise<string> | string;
  /**
   * Non-terminal output: say nothing unless the wait outlasts QUIET_FOR_MS
   * (for short waits like the executables' answers, a line each would be noise).
   */
  quiet?: boolean;
}

const SPINNER = ['|', '/', '-', '\\'];
const FRAME_MS = 100;
const STATUS_POLL_MS = 500;
const QUIET_FOR_MS = 5000;

export class Progress {
  private readonly everyMs: number;

  constructor(private readonly opts: ProgressOptions) {
    this.everyMs = (opts.lineEverySeconds ?? 2) * 1000;
  }

  /** Resolves (or rejects) as `work` does, showing progress meanwhile. */
  async wait<T>(label: string, work: Promise<T>, options: WaitOptions = {}): Promise<T> {
    const started = Date.now();
    let status = '';
    let polling = false;
    let lastPoll = -Infinity;
    let lastLine = options.quiet === true ? started + QUIET_FOR_MS - this.everyMs : started;
    let frame = 0;
    const poll = (): void => {
      if (options.status === undefined || polling || Date.now() - lastPoll < STATUS_POLL_MS) return;
      polling = true;
      lastPoll = Date.now();
      Promise.resolve()
        .then(options.status)
        .then(
          (s) => (status = s),
          () => undefined,
        )
        .finally(() => (polling = false));
    };
    const seconds = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;
    const describe = (): string => `${label}${status === '' ? '' : `: ${status}`} (${seconds()})`;
    if (!this.opts.tty && options.quiet !== true) this.opts.write(`  ${label} ...\n`);
    poll();
    const timer = setInterval(
      () => {
        poll();
        if (this.opts.tty) {
          const text = `  ${SPINNER[frame++ % SPINNER.length]} ${describe()}`;
          this.opts.write(`\r\x1b[K${text.slice(0, (this.opts.columns ?? 80) - 1)}`);
        } else if (Date.now() - lastLine >= this.everyMs) {
          lastLine = Date.now();
          this.opts.write(`  ... ${describe()}\n`);
        }
      },
      this.opts.tty ? FRAME_MS : STATUS_POLL_MS,
    );
    try {
      return await work;
    } finally {
      clearInterval(timer);
      if (this.opts.tty) this.opts.write('\r\x1b[K');
    }
  }

  /** A countdown: waits `ms`, showing the seconds left. */
  async countdown(label: string, ms: number): Promise<void> {
    if (ms <= 0) return;
    const end = Date.now() + ms;
    await this.wait(label, new Promise<void>((resolve) => setTimeout(resolve, ms)), {
      status: () => `${Math.max(0, Math.ceil((end - Date.now()) / 1000))} s left`,
    });
  }
}
