/**
 * What the process tests of the per-connection responders (HTTP, agent)
 * share: a scratch dir, a fake database that never greets (counting
 * connections), option files, and inetd-run responders that must stay quiet.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Inetd, binPath } from './inetd';
import { FakeServer } from './exchange';

export class ResponderFixture {
  readonly dir: string;
  readonly maintenanceFile: string;
  private readonly daemons: Inetd[] = [];

  private constructor(
    readonly hang: FakeServer,
    dir: string,
  ) {
    this.dir = dir;
    this.maintenanceFile = join(dir, 'maintenance');
  }

  static async start(prefix: string): Promise<ResponderFixture> {
    return new ResponderFixture(await FakeServer.start('hang'), mkdtempSync(join(tmpdir(), prefix)));
  }

  /** An option file with a [client] login and `lines` in [mysql-failover-check]. */
  optionFile(name: string, lines: string[], password = 's3cret'): string {
    const file = join(this.dir, `${name}.cnf`);
    writeFileSync(file, ['[client]', 'user=monitor', `password=${password}`, '[mysql-failover-check]', ...lines].join('\n') + '\n', {
      mode: 0o600,
    });
    return file;
  }

  async responder(executable: string, args: string[]): Promise<Inetd> {
    const d = await Inetd.start({ command: binPath(executable), args });
    this.daemons.push(d);
    return d;
  }

  async close(): Promise<void> {
    await Promise.all(this.daemons.map((d) => d.close()));
    await this.hang.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function assertQuiet(d: Inetd): void {
  assert.deepEqual(d.stderrSeen(), [], 'nothing on stderr, ever');
  assert.deepEqual(d.failures(), [], 'every run exits 0');
}
