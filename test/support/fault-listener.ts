/**
 * Fake MySQL listeners for the fault suite: a TCP server on loopback that
 * accepts connections and then misbehaves, and a port nothing listens on.
 *
 *   silent    accepts and never sends a byte (a server stuck before its greeting)
 *   half      sends the first 10 bytes of a MariaDB handshake packet, then stalls
 */
import { createServer, type Server, type Socket } from 'node:net';

export type FaultMode = 'silent' | 'half';

/** The first bytes of a real protocol-10 handshake: header (len 0x5a, seq 0), version 10, "5.5.5-". */
const HALF_GREETING = Buffer.from([0x5a, 0x00, 0x00, 0x00, 0x0a, 0x35, 0x2e, 0x35, 0x2e, 0x35]);

export class FaultListener {
  connections = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static start(mode: FaultMode): Promise<FaultListener> {
    return new Promise((resolve, reject) => {
      let self: FaultListener | undefined;
      const server = createServer((socket) => {
        if (!self) return socket.destroy();
        self.connections++;
        self.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => self?.sockets.delete(socket));
        if (mode === 'half') socket.write(HALF_GREETING);
      });
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const addr = server.address();
        if (addr === null || typeof addr === 'string') return reject(new Error('no port'));
        self = new FaultListener(server, addr.port);
        resolve(self);
      });
    });
  }

  /** Connections the client still holds open (it should have closed them all). */
  get open(): number {
    return this.sockets.size;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A loopback port that refuses connections: bound once, then released. */
export function refusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = addr && typeof addr !== 'string' ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}
