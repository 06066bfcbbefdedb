/**
 * Which server we talk to, from @@version (and @@version_comment, which
 * names the build): the facts the flavour-dependent SQL is chosen by
 * (replica-status statements, the monitor privilege `setup` prints).
 */
export interface ServerFlavour {
  flavour: 'MariaDB' | 'MySQL';
  major: number;
  minor: number;
  patch: number;
  /** @@version as the server reports it. */
  version: string;
}

/** undefined when the version does not start with MAJOR.MINOR.PATCH. */
export function parseServerFlavour(version: string, comment = ''): ServerFlavour | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return undefined;
  const flavour = /mariadb/i.test(version) || /mariadb/i.test(comment) ? 'MariaDB' : 'MySQL';
  return { flavour, major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), version };
}

export function atLeast(f: ServerFlavour, major: number, minor: number, patch: number): boolean {
  if (f.major !== major) return f.major > major;
  if (f.minor !== minor) return f.minor > minor;
  return f.patch >= patch;
}
