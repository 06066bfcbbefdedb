/**
 * Replaces a file so that a reader sees the old content or the new, never
 * a part, also across a crash: a temporary file in the same directory,
 * fsync, rename over, fsync the directory. A failure leaves no temporary
 * file behind.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CheckError } from '../core/errors';
import { errnoCode } from './errno';

/** Mode of a file that did not exist yet: the owner writes, its group (e.g. snmpd's) reads. */
export const NEW_FILE_MODE = 0o640;

export function writeFileAtomic(file: string, content: string): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const existing = fs.statSync(file, { throwIfNoEntry: false });
  const mode = existing === undefined ? NEW_FILE_MODE : existing.mode & 0o7777;
  const fail = (step: string, e: unknown): CheckError =>
    new CheckError('STATE_UNWRITABLE', `cannot ${step} ${file}: ${errnoCode(e) ?? String(e)}`, { cause: e });

  let fd: number;
  try {
    fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, mode);
  } catch (e) {
    throw fail('write a temporary file next to', e);
  }
  try {
    try {
      // The umask must not narrow the mode the file had.
      fs.fchmodSync(fd, mode);
      // Keep the owner when root (an operator's `recover`) replaces the file
      // of snmpd's user, who must still write it. Anyone else may not
      // chown: the file then becomes theirs, as any rewrite would make it.
      if (existing !== undefined) chownQuietly(fd, existing);
      fs.writeFileSync(fd, content);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw fail('replace', e);
  }
  try {
    syncDirectory(dir);
  } catch (e) {
    throw fail('make durable the rename of', e);
  }
}

function chownQuietly(fd: number, like: fs.Stats): void {
  try {
    fs.fchownSync(fd, like.uid, like.gid);
  } catch {
    /* EPERM: see above */
  }
}

/** The rename itself is durable only once the directory is. */
function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    // Some file systems cannot sync a directory; the rename stands.
    if (errnoCode(e) !== 'EINVAL') throw e;
  } finally {
    fs.closeSync(fd);
  }
}
