/**
 * snmpd's `pass_persist` protocol (snmpd.conf(5)), without I/O: snmpd starts
 * the program once and talks to it over a pipe, one request at a time,
 * waiting synchronously for each answer (nothing else is served meanwhile).
 *
 *   snmpd sends                  the program answers
 *   PING                         PONG            (before every request)
 *   get / OID                    OID / TYPE / VALUE, or NONE
 *   getnext / OID                the next OID below the base / TYPE / VALUE, or NONE
 *   set / OID / TYPE VALUE       not-writable    (nothing here is writable)
 *
 * snmpd reads answers line by line with fgets, so one answer too many or too
 * few shifts every later answer onto the wrong request. Hence: every request
 * gets exactly one answer, in order; a line that is no request (garbage, an
 * unknown command, a line longer than snmpd itself would send) is answered
 * NONE, which snmpd reads as "no such object"; blank lines are no request and
 * get no answer.
 */
import { errorDecision, type Decision } from '../core/decide';
import { compareOids, formatOid, parseOid, persistOids, type PersistOid } from './oid';
import { snmpAnswer } from './snmp';

/** snmpd's own line buffer (SNMP_MAXBUF): it never sends a longer line, so a longer one is garbage. */
export const MAX_LINE_BYTES = 4096;

export interface Line {
  text: string;
  /** Longer than the bound: `text` is empty, the rest of the line was skipped. */
  overlong: boolean;
}

/**
 * Cuts a byte stream into lines, keeping at most maxBytes of a line in
 * memory: an endless line costs nothing but the time to skip it, and still
 * counts as one line, so the conversation stays in step.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private overlong = false;

  constructor(private readonly maxBytes = MAX_LINE_BYTES) {}

  push(chunk: Buffer): Line[] {
    const lines: Line[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const piece = chunk.subarray(start, nl === -1 ? chunk.length : nl);
      this.keep(piece);
      if (nl === -1) return lines;
      lines.push(this.take());
      start = nl + 1;
    }
  }

  private keep(piece: Buffer): void {
    if (this.overlong) return;
    if (this.size + piece.length > this.maxBytes) {
      this.overlong = true;
      this.parts = [];
      this.size = 0;
      return;
    }
    if (piece.length > 0) {
      // A copy: the caller's chunk may be a slice of a pooled buffer.
      this.parts.push(Buffer.from(piece));
      this.size += piece.length;
    }
  }

  private take(): Line {
    const line: Line = this.overlong
      ? { text: '', overlong: true }
      : { text: Buffer.concat(this.parts).toString('latin1').replace(/\r$/, ''), overlong: false };
    this.parts = [];
    this.size = 0;
    this.overlong = false;
    return line;
  }
}

export type Request =
  | { kind: 'ping' }
  | { kind: 'get'; oid: string }
  | { kind: 'getnext'; oid: string }
  | { kind: 'set'; oid: string; value: string }
  | { kind: 'garbage' };

/** Turns lines into requests: a command line, then the OID line (and for set, the value line). */
export class RequestParser {
  private command: 'get' | 'getnext' | 'set' | undefined;
  private oid: string | undefined;

  line(line: Line): Request | undefined {
    const text = line.text.trim();
    if (!line.overlong && text === '') return undefined;
    if (this.command === undefined) {
      const word = line.overlong ? '' : text.toLowerCase();
      if (word === 'ping') return { kind: 'ping' };
      if (word === 'get' || word === 'getnext' || word === 'set') {
        this.command = word;
        return undefined;
      }
      return { kind: 'garbage' };
    }
    if (this.command === 'set' && this.oid === undefined) {
      this.oid = text;
      return undefined;
    }
    const command = this.command;
    this.command = undefined;
    if (command === 'set') {
      const oid = this.oid ?? '';
      this.oid = undefined;
      return { kind: 'set', oid, value: text };
    }
    return { kind: command, oid: text };
  }
}

/** The object a get or getnext lands on, or undefined (NONE). */
export function lookup(objects: readonly PersistOid[], kind: 'get' | 'getnext', oidText: string): PersistOid | undefined {
  const oid = parseOid(oidText);
  if (oid === undefined) return undefined;
  if (kind === 'get') return objects.find((o) => compareOids(o.oid, oid) === 0);
  // snmpd sends the base itself when the manager asked for anything before it.
  return objects.find((o) => compareOids(o.oid, oid) > 0);
}

export const NONE = 'NONE\n';
export const PONG = 'PONG\n';
export const NOT_WRITABLE = 'not-writable\n';

/** OID, type and value lines, as snmpd parses them (types as snmpd.conf(5) spells them). */
export function varbind(object: PersistOid, decision: Decision): string {
  const value = object.object === 'mfcVerdict' ? `integer\n${snmpAnswer(decision.verdict)}` : `string\n${decision.reason}`;
  return `${formatOid(object.oid)}\n${value}\n`;
}

export interface SessionOptions {
  /** The OID of the snmpd.conf `pass_persist` line. */
  base: readonly number[];
  /** Probes for one request (the resident engine's probe, in practice). */
  probe: () => Promise<Decision>;
  /** Writes one whole answer; false when nobody reads any more. */
  write: (text: string) => boolean;
  /** How long a verdict may take before the answer is DOWN anyway: snmpd waits for nothing else. */
  deadlineMs: () => number;
  maxLineBytes?: number;
}

/**
 * One conversation with snmpd: feed it what arrives on stdin, call end() at
 * EOF. Answers are written in request order, each within deadlineMs of the
 * moment its turn comes, whatever probe() does.
 */
export class PassPersistSession {
  private readonly objects: PersistOid[];
  private readonly splitter: LineSplitter;
  private readonly parser = new RequestParser();
  private queue: Promise<void> = Promise.resolve();
  private writerGone = false;
  private resolveClosed!: () => void;
  /** Settles once end() was called and everything before it answered, or as soon as the writer is gone. */
  readonly closed: Promise<void> = new Promise<void>((resolve) => {
    this.resolveClosed = resolve;
  });

  constructor(private readonly opts: SessionOptions) {
    this.objects = persistOids(opts.base);
    this.splitter = new LineSplitter(opts.maxLineBytes ?? MAX_LINE_BYTES);
  }

  feed(chunk: Buffer): void {
    if (this.writerGone) return;
    for (const line of this.splitter.push(chunk)) {
      const request = this.parser.line(line);
      if (request !== undefined) this.enqueue(request);
    }
  }

  /** EOF: a request without its final newline is no request (snmpd always ends its lines). */
  end(): void {
    this.queue = this.queue.then(() => this.resolveClosed());
  }

  private enqueue(request: Request): void {
    this.queue = this.queue.then(async () => {
      if (this.writerGone) return;
      const answer = await this.answer(request);
      let written = false;
      try {
        written = this.opts.write(answer);
      } catch {
        // as good as gone
      }
      if (!written) {
        this.writerGone = true;
        this.resolveClosed();
      }
    });
  }

  private async answer(request: Request): Promise<string> {
    switch (request.kind) {
      case 'ping':
        return PONG;
      case 'set':
        return NOT_WRITABLE;
      case 'garbage':
        return NONE;
      case 'get':
      case 'getnext': {
        const object = lookup(this.objects, request.kind, request.oid);
        if (object === undefined) return NONE;
        return varbind(object, await this.probeInTime());
      }
    }
  }

  /** probe() under the deadline; never rejects. */
  private async probeInTime(): Promise<Decision> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Decision>((resolve) => {
      timer = setTimeout(() => resolve(errorDecision({ code: 'TIMEOUT', message: 'no verdict within --timeout' })), this.opts.deadlineMs());
    });
    // Through then(): a probe() that throws instead of rejecting must not break the queue either.
    const decided = Promise.resolve()
      .then(() => this.opts.probe())
      .catch((e: unknown) => errorDecision({ code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) }));
    try {
      return await Promise.race([decided, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
