/**
 * A stand-in for /dev/log: a unix datagram socket (Node cannot open one, so
 * a few lines of Python do), collecting what `logger -u PATH` sends. The
 * executables are pointed at it with MFC_SYSLOG_SOCKET.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { registerPid } from './run-dir';
import { until } from './until';

const LISTENER = [
  'import socket, sys',
  's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
  's.bind(sys.argv[1])',
  'while True:',
  '    d = s.recv(65536)',
  "    sys.stdout.write(d.decode('utf-8', 'replace').replace('\\n', ' ') + '\\n')",
  '    sys.stdout.flush()',
].join('\n');

export class SyslogListener {
  readonly lines: string[] = [];
  private constructor(
    readonly path: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(dir: string): Promise<SyslogListener> {
    const path = join(dir, 'log.sock');
    const child = spawn('python3', ['-c', LISTENER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    if (child.pid !== undefined) registerPid(child.pid, 'syslog-listener');
    const l = new SyslogListener(path, child);
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      l.lines.push(...parts);
    });
    await until('the syslog socket exists', async () => existsSync(path), 10_000);
    return l;
  }

  /** Waits for a line matching `re` (logger runs detached, after the executable exited). */
  async waitFor(re: RegExp, timeoutMs = 10_000): Promise<string> {
    await until(`a system log line matching ${re}`, async () => this.lines.some((l) => re.test(l)), timeoutMs);
    return this.lines.find((l) => re.test(l)) as string;
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}
