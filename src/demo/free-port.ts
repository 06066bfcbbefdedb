/**
 * TCP ports on 127.0.0.1 for the demo's servers: whatever the kernel hands
 * out for port 0 (the ephemeral range, never 3306 or another well-known
 * port a local MariaDB may use), released at once for mariadbd to bind.
 * Someone may take it in between: the caller checks with portIsFree and
 * picks another when a server could not start.
 */
import * as net from 'node:net';
import { CheckError } from '../core/errors';

function listenOnce(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

export async function freePort(avoid: readonly number[] = []): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await listenOnce(0);
    if (port !== undefined && !avoid.includes(port)) return port;
  }
  throw new CheckError('INTERNAL', 'no free TCP port on 127.0.0.1');
}

export async function portIsFree(port: number): Promise<boolean> {
  return (await listenOnce(port)) !== undefined;
}
