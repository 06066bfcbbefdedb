/**
 * What the end-to-end load-balancer tests share: the option file a node's
 * check reads (as an operator would write it), the keyed heartbeat table
 * that `setup` creates, and a query through the load balancer that says
 * which node answered.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as mysql from 'mysql2/promise';
import { Pair, quoteOptionValue, type NodeName } from './pair';
import { createKeyedTableSql, DEFAULT_TABLE, parseTableName } from '../../src/core/heartbeat';

/**
 * Writes `<dir>/<node>-<name>.cnf`: the monitor user in [client], and in
 * [mysql-failover-check] the node over TCP, its peer, and `extra`.
 */
export function nodeOptionFile(pair: Pair, node: NodeName, dir: string, name: string, extra: Record<string, string> = {}): string {
  const local = pair.node(node);
  const peer = pair.node(Pair.other(node));
  const lines = [
    '[client]',
    `user=${quoteOptionValue(pair.monitorUser)}`,
    `password=${quoteOptionValue(pair.monitorPassword)}`,
    '',
    '[mysql-failover-check]',
    'host=127.0.0.1',
    `port=${local.port}`,
    `peer=127.0.0.1:${peer.port}`,
    ...Object.entries(extra).map(([k, v]) => `${k}=${quoteOptionValue(v)}`),
  ];
  const file = path.join(dir, `${node}-${name}.cnf`);
  fs.writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
  return file;
}

/** Creates the keyed heartbeat table (one row per node, as `setup` does) on a and waits until b has it. */
export async function createKeyedHeartbeat(pair: Pair): Promise<void> {
  for (const sql of createKeyedTableSql(parseTableName(DEFAULT_TABLE))) await pair.sql('a', sql);
  await pair.waitCaughtUp('b');
}

/** The heartbeat stamp of `nodeName` in the keyed table, as seen on `node`, or undefined. */
export async function keyedStamp(pair: Pair, node: NodeName, nodeName: string): Promise<number | undefined> {
  const rows = await pair.sql(node, `SELECT lastcheck FROM ${DEFAULT_TABLE} WHERE node = ?`, [nodeName]);
  return rows[0] === undefined ? undefined : Number(rows[0].lastcheck);
}

/** Connects through the load balancer at 127.0.0.1:port as the monitor user; returns @@server_id of the node reached. */
export async function serverIdVia(pair: Pair, port: number): Promise<number> {
  const conn = await mysql.createConnection({
    host: '127.0.0.1',
    port,
    user: pair.monitorUser,
    password: pair.monitorPassword,
    connectTimeout: 5_000,
  });
  try {
    const [rows] = await conn.query('SELECT @@server_id AS id');
    return Number((rows as Array<{ id: unknown }>)[0]?.id);
  } finally {
    conn.destroy();
  }
}
