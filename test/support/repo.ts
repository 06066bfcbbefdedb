/**
 * Where the repository is, for tests that read its shipped files (services/,
 * snmp/, nagios/, README.md, test/fixtures/): the compiled tests run from
 * dist/test/..., so paths are taken from the root, not from the test file.
 */
import * as path from 'node:path';

/** dist/test/support -> the repository root. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export function repoPath(...parts: string[]): string {
  return path.join(REPO_ROOT, ...parts);
}
