/**
 * Client side of one exchange with an inetd-run executable, and a fake
 * "database" that only counts connections (to prove that a request was
 * answered without database work) or hangs (to prove the deadline).
 */
import * as net from 'node:net';

export interface Answer {
  text: string;
  ms: number;
  /** A socket error seen by the client (e.g. ECONNRESET), if any. */
  error?: string;
}

export interface AskOptions {
  /** Half-close our side after sending (as `printf ... | nc -N` does). */
  halfClose?: boolean;
  /** Send the data in this many pieces, `gapMs` apart. */
  pieces?: number;
  gapMs?: number;
  /** Give up after this long (the test fails on the returned text). */
  timeoutMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Connects to 127.0.0.1:port, sends `data`, reads until the server closes. */
export function ask(port: number, data: string | Buffer, opts: AskOptions = {}): Promise<Answer> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  return new Promise<Answer>((resolve) => {
    const t0 = Date.now();
    const chunks: Buffer[] = [];
    let error: string | undefined;
    const s = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      error = 'client timeout';
      s.destroy();
    }, opts.timeoutMs ?? 10_000);
    s.on('connect', async () => {
      const pieces = Math.max(1, opts.pieces ?? 1);
      const size = Math.ceil(bytes.length / pieces);
      for (let i = 0; i < bytes.length; i += size) {
        if (i > 0) await sleep(opts.gapMs ?? 50);
        if (s.destroyed) return;
        s.write(bytes.subarray(i, i + size));
      }
      if (opts.halfClose) s.end();
    });
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    s.on('close', () => {
      clearTimeout(timer);
      const answer: Answer = { text: Buffer.concat(chunks).toString('latin1'), ms: Date.now() - t0 };
      if (error !== undefined) answer.error = error;
      resolve(answer);
    });
  });
}

/** Status code, headers (lower-case names) and body of an HTTP/1.1 response. */
export function parseResponse(text: string): { status: number; headers: Map<string, string>; body: string } {
  const at = text.indexOf('\r\n\r\n');
  if (at < 0) throw new Error(`not an HTTP response: ${JSON.stringify(text)}`);
  const [statusLine, ...lines] = text.slice(0, at).split('\r\n');
  const m = /^HTTP\/1\.1 (\d{3}) [A-Za-z ]+$/.exec(statusLine ?? '');
  if (!m) throw new Error(`bad status line: ${JSON.stringify(statusLine)}`);
  const headers = new Map<string, string>();
  for (const l of lines) {
    const i = l.indexOf(': ');
    headers.set(l.slice(0, i).toLowerCase(), l.slice(i + 2));
  }
  return { status: Number(m[1]), headers, body: text.slice(at + 4) };
}

/** A TCP listener on 127.0.0.1 standing in for a database: it counts connections, then hangs or closes them. */
/** A MySQL ERR packet (sequence 0): 0xff, errno 1045, '#', SQLSTATE 28000, the message. */
function accessDeniedPacket(): Buffer {
  const message = Buffer.from("Access denied for user 'fake'@'localhost' (using password: YES)", 'latin1');
  const payload = Buffer.concat([Buffer.from([0xff, 1045 & 0xff, 1045 >> 8]), Buffer.from('#28000', 'latin1'), message]);
  const header = Buffer.from([payload.length & 0xff, (payload.length >> 8) & 0xff, payload.length >> 16, 0]);
  return Buffer.concat([header, payload]);
}

export class FakeServer {
  readonly port: number;
  connections = 0;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(server: net.Server, port: number) {
    this.server = server;
    this.port = port;
  }

  /**
   * `hang`: accepts and says nothing; `close`: closes at once; `refuse`:
   * answers the connect with a MySQL error packet, 1045 access denied (a
   * server may send one in place of its greeting), then closes.
   */
  static start(mode: 'hang' | 'close' | 'refuse'): Promise<FakeServer> {
    return new Promise<FakeServer>((resolve, reject) => {
      let fake: FakeServer | undefined;
      const server = net.createServer((socket) => {
        if (fake === undefined) return socket.destroy();
        fake.connections++;
        fake.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => fake?.sockets.delete(socket));
        if (mode === 'close') socket.destroy();
        if (mode === 'refuse') socket.end(accessDeniedPacket());
      });
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, () => {
        const addr = server.address();
        fake = new FakeServer(server, typeof addr === 'object' && addr !== null ? addr.port : 0);
        resolve(fake);
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
