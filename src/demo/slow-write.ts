/**
 * Real replication lag on demand, for the node that returns after an outage.
 *
 * MariaDB has no knob to slow the replica's SQL thread, and a big batch of
 * rows takes however long the machine needs (a fraction of a second on an
 * idle one, far longer on a busy one). Instead, one row is written on the
 * source in statement format with an expression that sleeps only where
 * @@GLOBAL.server_id is the lagging node's: the source commits at once, and
 * the lagging node's SQL thread really spends `seconds` applying it, so its
 * Seconds_Behind_Master (now minus the event's timestamp) climbs for that
 * long and drops to 0 when the row is applied. Written while the node is
 * down, the lag starts at the length of the outage.
 *
 * @@GLOBAL, not @@server_id: a replica's SQL thread takes on the session
 * server_id of each event's origin, so @@server_id would be the source's.
 * The statement is "unsafe" for statement-based replication by design; the
 * server notes that in the error log.
 */
export const DEMO_DATABASE = 'mfc_demo';
export const DEMO_TABLE = 'writes';

/** The demo's own table, for writes the walk shows replicating (and the slow write below). */
export const DEMO_TABLE_SQL: readonly string[] = [
  `CREATE DATABASE IF NOT EXISTS \`${DEMO_DATABASE}\``,
  `CREATE TABLE IF NOT EXISTS \`${DEMO_DATABASE}\`.\`${DEMO_TABLE}\` (` +
    'id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, ' +
    'written_on VARCHAR(8) NOT NULL, ' +
    'note VARCHAR(200) NOT NULL, ' +
    'written_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)' +
    ') ENGINE=InnoDB',
];

export const MAX_SLOW_WRITE_SECONDS = 60;

/**
 * The statement, complete (the walk prints it): run it on the source, in a
 * session with binlog_format = STATEMENT. Only integers go into the text.
 */
export function slowWriteSql(writtenOn: string, laggingServerId: number, seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_SLOW_WRITE_SECONDS) {
    throw new RangeError(`slow write: seconds must be an integer from 1 to ${MAX_SLOW_WRITE_SECONDS}, got ${seconds}`);
  }
  if (!Number.isInteger(laggingServerId) || laggingServerId < 1) throw new RangeError(`slow write: bad server_id ${laggingServerId}`);
  if (!/^[a-z]{1,8}$/.test(writtenOn)) throw new RangeError(`slow write: bad node name ${JSON.stringify(writtenOn)}`);
  return (
    `INSERT INTO \`${DEMO_DATABASE}\`.\`${DEMO_TABLE}\` (written_on, note) ` +
    `SELECT '${writtenOn}', 'slow write: ${seconds} s to apply on server_id ${laggingServerId}' ` +
    `FROM DUAL WHERE IF(@@GLOBAL.server_id = ${laggingServerId}, SLEEP(${seconds}), 0) = 0`
  );
}
