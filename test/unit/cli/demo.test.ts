/**
 * `demo` before any server starts: MariaDB missing and not root exits 2
 * with the exact install command; other failures are not mistaken for it.
 * (The walk itself runs on real servers: test/pair/demo.test.ts.)
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { demo, EXIT_USAGE, ownBinDir } from '../../../src/cli/demo';
import { ensureServerPrograms, INSTALL_COMMAND } from '../../../src/demo/server-programs';
import { CheckError } from '../../../src/core/errors';
import { REPO_ROOT } from '../../support/repo';
import * as path from 'node:path';

function capture(): { out: string[]; err: string[]; output: { out: (t: string) => void; err: (t: string) => void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, output: { out: (t) => out.push(t), err: (t) => err.push(t) } };
}

const plain = { step: false, keep: false, stop: false };

describe('demo without MariaDB', () => {
  test('not root: exit 2, the exact install command on stderr, nothing started', async () => {
    const c = capture();
    const code = await demo(plain, c.output, {
      // The real lookup and decision, with nothing found and no root.
      ensurePrograms: (onStep) => ensureServerPrograms({ lookup: () => undefined, isRoot: false, onStep }),
      binDir: '/nonexistent',
    });
    assert.equal(code, EXIT_USAGE);
    assert.deepEqual(c.out, []);
    const err = c.err.join('');
    assert.match(err, /^mysql-failover-check demo: the MariaDB server \(mariadbd, mariadb-install-db\) is not installed/);
    assert.ok(err.trimEnd().endsWith(INSTALL_COMMAND), err);
  });

  test('any other failure to find the programs is not a missing MariaDB: it is thrown for the executable to report', async () => {
    const c = capture();
    await assert.rejects(
      demo(plain, c.output, { ensurePrograms: () => Promise.reject(new CheckError('INTERNAL', 'apt-get went away')), binDir: '/x' }),
      /apt-get went away/,
    );
  });
});

test("the executables' directory is the running shim's, through symlinks", () => {
  assert.equal(ownBinDir(path.join(REPO_ROOT, 'bin', 'mysql-failover-check')), path.join(REPO_ROOT, 'bin'));
});
