/**
 * The system log (journald or syslog), for what must not go unseen when no
 * log file can take it: a broken option file under snmpd leaves no other
 * trace, because an LB executable must print nothing but its answer and
 * the `log-file` setting may sit in the very file that is broken.
 *
 * Node has no client for /dev/log (a unix datagram socket), so the line goes
 * through util-linux's `logger` (Debian's bsdutils, an Essential package),
 * started detached and not waited for: the answer never waits on the system
 * log, and a missing `logger` or /dev/log only loses this line.
 */
import { existsSync } from 'node:fs';

/** Where `logger` lives on Debian and most other systems; snmpd's children get a minimal PATH. */
const LOGGER_PATHS = ['/usr/bin/logger', '/bin/logger'];
/** journald and rsyslog cut longer lines anyway. */
const MAX_MESSAGE = 2048;
/**
 * For hosts whose syslog socket is not /dev/log (some containers) and for
 * the tests, which cannot own the machine's /dev/log.
 */
export const SYSLOG_SOCKET_ENV = 'MFC_SYSLOG_SOCKET';

export function loggerArgs(tag: string, message: string, pid: number, socket: string | undefined): string[] {
  const line = message.replace(/[\r\n]+/g, ' ').slice(0, MAX_MESSAGE);
  return [
    `--id=${pid}`,
    '-t',
    tag,
    '-p',
    'daemon.warning',
    '--socket-errors=off',
    ...(socket === undefined || socket === '' ? [] : ['-u', socket]),
    '--',
    line,
  ];
}

/** Sends one line; never throws, never waits. */
export function toSystemLog(tag: string, message: string, env: NodeJS.ProcessEnv = process.env): void {
  try {
    const logger = LOGGER_PATHS.find((p) => existsSync(p));
    if (logger === undefined) return;
    // Loaded here, not at the top: child_process is a few ms of start-up that only a run with something to log should pay.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { spawn } = require('node:child_process') as typeof import('node:child_process');
    const child = spawn(logger, loggerArgs(tag, message, process.pid, env[SYSLOG_SOCKET_ENV]), {
      detached: true,
      stdio: 'ignore',
      env: { PATH: '/usr/bin:/bin' },
    });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // Nothing else is left to tell.
  }
}
