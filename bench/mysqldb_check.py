#!/usr/bin/python3
"""The peer in `npm run bench`: the work of `mysql-failover-snmp`, in plain
Python 3 + MySQLdb (Debian python3-mysqldb), as a site would script it.

    mysqldb_check.py --defaults-file=FILE

FILE is the same option file the executable gets: [client] user/password
(read by libmariadb itself), [mysql-failover-check] host/port or socket,
peer=HOST:PORT, table, fresh (default 20), max-lag (default 1).

Connects to the local server, reads the heartbeat age
(SELECT UNIX_TIMESTAMP()-lastcheck); connects to the peer and pings it; when
the peer is reachable and the heartbeat is stale, reads SHOW ALL SLAVES
STATUS; when UP, stamps the heartbeat and commits. Prints 100 (UP) or 200
(DOWN), nothing else, and exits 0.
"""
import sys

import MySQLdb
import MySQLdb.cursors

TIMEOUT = 3


def read_section(path, section):
    values = {}
    current = None
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if not line or line[0] in '#;':
                continue
            if line.startswith('['):
                current = line[1:line.index(']')].strip()
                continue
            if current != section or '=' not in line:
                continue
            key, value = (s.strip() for s in line.split('=', 1))
            if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
                value = value[1:-1]
            values[key.replace('_', '-')] = value
    return values


def connect(defaults_file, **endpoint):
    return MySQLdb.connect(read_default_file=defaults_file, connect_timeout=TIMEOUT,
                           read_timeout=TIMEOUT, write_timeout=TIMEOUT, **endpoint)


def main(argv):
    defaults_file = None
    for arg in argv:
        if arg.startswith('--defaults-file='):
            defaults_file = arg.split('=', 1)[1]
    if defaults_file is None:
        return '200'
    opts = read_section(defaults_file, 'mysql-failover-check')
    table = opts.get('table', 'status_example.lastcheck')
    fresh = float(opts.get('fresh', '20'))
    max_lag = float(opts.get('max-lag', '1'))
    host = opts.get('host', 'localhost')
    if host == 'localhost':
        local_ep = {'unix_socket': opts.get('socket', '/run/mysqld/mysqld.sock')}
    else:
        local_ep = {'host': host, 'port': int(opts.get('port', '3306'))}

    try:
        local = connect(defaults_file, **local_ep)
    except MySQLdb.Error:
        return '200'
    try:
        cur = local.cursor()
        cur.execute('SELECT UNIX_TIMESTAMP() - lastcheck FROM ' + table)
        row = cur.fetchone()
        age = None if row is None or row[0] is None else float(row[0])

        peer_ok = True
        if 'peer' in opts:
            peer_host, _, peer_port = opts['peer'].rpartition(':')
            try:
                peer = connect(defaults_file, host=peer_host, port=int(peer_port))
                try:
                    peer.ping()
                finally:
                    peer.close()
            except MySQLdb.Error:
                peer_ok = False

        if not peer_ok:
            up = True
        elif age is not None and 0 <= age <= fresh:
            up = True
        else:
            cur = local.cursor(MySQLdb.cursors.DictCursor)
            cur.execute('SHOW ALL SLAVES STATUS')
            channels = cur.fetchall()
            up = len(channels) > 0 and all(
                c['Slave_IO_Running'] == 'Yes' and c['Slave_SQL_Running'] == 'Yes'
                and (c['Seconds_Behind_Master'] is None or c['Seconds_Behind_Master'] <= max_lag)
                for c in channels)

        if up:
            local.cursor().execute('UPDATE ' + table + ' SET lastcheck = UNIX_TIMESTAMP()')
            local.commit()
        return '100' if up else '200'
    except MySQLdb.Error:
        return '200'
    finally:
        local.close()


if __name__ == '__main__':
    print(main(sys.argv[1:]))
