#!/usr/bin/env node
'use strict';
/**
 * Run by scripts/build.js, one fresh process per executable:
 *   node scripts/build-warmup.js NAME
 * Loads dist/bundle/NAME.js without a cache, runs one probe the way its
 * client would, then writes V8's code cache, which then holds every function
 * that probe compiled (the handshake, the queries, the decision, the answer)
 * and not just the top level, to dist/bundle/NAME.cache.
 *
 * The probe reads its options from an option file, with a password, a log
 * file and a failover state (as a site would configure it), so that the
 * code of each of those is cached too.
 *
 * There is no MySQL server at build time, so the probe talks to a stand-in
 * on 127.0.0.1 (mysql2's own server side, from node_modules, not the bundle)
 * that speaks the protocol like a MariaDB replica: it accepts any login and
 * answers the heartbeat read with a stale stamp, so that the probe also takes
 * the longest path (SHOW ALL SLAVES STATUS, then the stamp). What the probe
 * prints goes to /dev/null (scripts/build.js runs this with stdout ignored);
 * only what it compiled matters.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const { bundlePaths, compileBundle, writeCache } = require(path.join(ROOT, 'dist', 'launcher', 'bundle-loader.js'));

/** Column definitions as MariaDB sends them (binary charset for numbers, utf8mb4 for text). */
const LONGLONG = 8;
const VAR_STRING = 253;
function column(name, type) {
  return {
    catalog: 'def',
    schema: '',
    table: '',
    orgTable: '',
    name,
    orgName: name,
    characterSet: type === VAR_STRING ? 224 : 63,
    columnLength: type === VAR_STRING ? 1024 : 21,
    columnType: type,
    flags: 0,
    decimals: 0,
  };
}

function answer(conn, sql) {
  const now = Math.floor(Date.now() / 1000);
  if (/^\s*SELECT\b/i.test(sql)) {
    const columns = [
      column('mfc_now', LONGLONG),
      column('mfc_version', VAR_STRING),
      column('mfc_server_id', LONGLONG),
      column('lastcheck', LONGLONG),
    ];
    conn.writeTextResult([{ mfc_now: now, mfc_version: '10.11.0-MariaDB-log', mfc_server_id: 1, lastcheck: now - 3600 }], columns);
  } else if (/^\s*SHOW\b/i.test(sql)) {
    const row = {
      Connection_name: '',
      Slave_IO_State: 'Waiting for master to send event',
      Master_Host: '127.0.0.1',
      Slave_IO_Running: 'Yes',
      Slave_SQL_Running: 'Yes',
      Seconds_Behind_Master: 0,
      Last_IO_Errno: 0,
      Last_IO_Error: '',
      Last_SQL_Errno: 0,
      Last_SQL_Error: '',
      Using_Gtid: 'Slave_Pos',
    };
    const columns = Object.keys(row).map((k) => column(k, typeof row[k] === 'number' ? LONGLONG : VAR_STRING));
    conn.writeTextResult([row], columns);
  } else {
    conn.writeOk({ affectedRows: 1 });
  }
}

/**
 * Sends one response. mysql2's server side never ends a command, so its
 * packet sequence would run on across commands (and both sides would warn):
 * every client command starts again at 0.
 */
function reply(conn, write) {
  write();
  conn.sequenceId = 0;
}

function startServer() {
  const mysql2 = require('mysql2');
  const server = mysql2.createServer();
  let id = 0;
  server.on('connection', (conn) => {
    conn.on('error', () => undefined);
    conn.serverHandshake({
      protocolVersion: 10,
      serverVersion: '10.11.0-MariaDB-log',
      connectionId: ++id,
      statusFlags: 2,
      characterSet: 45, // utf8mb4_general_ci
      capabilityFlags: 0xf7ff,
      authCallback: (_params, cb) => reply(conn, () => cb(null)),
    });
    conn.on('query', (sql) => reply(conn, () => answer(conn, sql)));
    // mysql2's server side hands SET statements to 'stmt_prepare'.
    conn.on('stmt_prepare', () => reply(conn, () => conn.writeOk()));
    conn.on('ping', () => reply(conn, () => conn.writeOk()));
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/**
 * What each executable is run with (every one also gets the server options)
 * and, for those reading a request, its stdin (scripts/build.js feeds it).
 */
const RUNS = {
  'mysql-failover-snmp': { args: [] },
  'mysql-failover-http': { args: [], stdin: 'GET / HTTP/1.0\r\n\r\n' },
  'mysql-failover-agent': { args: [], stdin: '' },
  check_mysql_failover: { args: [] },
  'mysql-failover-check': { args: ['status'] },
};

async function main() {
  const name = process.argv[2];
  const run = RUNS[name];
  if (run === undefined) throw new Error(`no warm-up for ${name}`);
  const paths = bundlePaths(name, ROOT);
  const server = await startServer();
  const { port } = server._server.address();
  const compiled = compileBundle(paths, false);
  if (compiled === undefined) throw new Error(`${paths.bundle}: no current bundle`);
  // As sites run it: the options in an option file, a password (the login's
  // hashes), a log file and a failover state, so that their code is in the cache too.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mfc-warmup-'));
  try {
    const optionFile = path.join(dir, 'warmup.cnf');
    const options = {
      host: '127.0.0.1',
      port,
      peer: `127.0.0.1:${port}`,
      table: 'warmup.heartbeat',
      timeout: 10,
      'log-file': path.join(dir, 'check.log'),
      'state-file': path.join(dir, 'failover.state'),
      'down-after': 4,
      'up-after': 4,
    };
    const lines = [
      '[client]',
      'user=warmup',
      'password=warmup',
      '[mysql-failover-check]',
      ...Object.entries(options).map(([k, v]) => `${k}=${v}`),
    ];
    fs.writeFileSync(optionFile, `${lines.join('\n')}\n`, { mode: 0o600 });
    await compiled.exports.main([...run.args, `--defaults-file=${optionFile}`]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  server.close();
  // The chunks' caches come from the first warm-up that used them (scripts/build.js
  // removes every cache first): the executables run the same driver code.
  const [bundle, ...chunks] = compiled.files;
  for (const file of [bundle, ...chunks.filter((c) => !fs.existsSync(c.paths.cache))]) {
    if (!writeCache(file.paths.cache, file.id, file.script.createCachedData())) throw new Error(`${file.paths.cache}: could not write`);
  }
}

if (require.main !== module) {
  module.exports = { RUNS };
} else {
  main().then(
    () => process.exit(0),
    (e) => {
      // main() may have silenced process.stderr (the LB executables do): write to fd 2 directly.
      fs.writeSync(2, `${e instanceof Error ? e.stack : e}\n`);
      process.exit(1);
    },
  );
}
