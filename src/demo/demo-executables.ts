/**
 * The project's real executables, run by the demo's walk the way their
 * clients run them: a separate process each, the node's option file as the
 * only configuration, a minimal environment (snmpd and xinetd pass none),
 * and for HTTP a request on stdin as xinetd hands over the connection. So
 * the tables show what a load balancer would really be told, not what the
 * library thinks it would say.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CheckError } from '../core/errors';
import type { ExecutableOutput, RawAnswers } from './answer-table';
import { describeRun, runProgram, type RunResult } from './run-program';

export const SNMP = 'mysql-failover-snmp';
export const HTTP = 'mysql-failover-http';
export const AGENT = 'mysql-failover-agent';
export const CHECK = 'mysql-failover-check';
export const PLUGIN = 'check_mysql_failover';

/** What HAProxy's `option httpchk GET /` sends, more or less. */
export const HTTP_REQUEST = 'GET / HTTP/1.0\r\n\r\n';

/**
 * Each executable answers within its --timeout (3 s by default) by design;
 * this is only the bound for a process that does not, on a machine too busy
 * to start one in time.
 */
const RUN_TIMEOUT_MS = 20_000;

export interface ExecutableRun {
  /** The command as a person would type it, for the walk to show. */
  command: string;
  result: RunResult;
}

export class DemoExecutables {
  /** `binDir`: the directory holding the project's bin/ shims. */
  constructor(readonly binDir: string) {
    if (!fs.existsSync(path.join(binDir, SNMP))) {
      throw new CheckError('INTERNAL', `the project's executables are not in ${binDir} (no ${SNMP} there)`);
    }
  }

  path(name: string): string {
    return path.join(this.binDir, name);
  }

  /** Runs one executable with this Node (its shim's `#!/usr/bin/env node` might find another). */
  async run(name: string, args: readonly string[], input?: string): Promise<ExecutableRun> {
    const result = await runProgram(process.execPath, [this.path(name), ...args], {
      timeoutMs: RUN_TIMEOUT_MS,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
      ...(input === undefined ? {} : { input }),
    });
    return { command: [name, ...args].join(' '), result };
  }

  /**
   * HTTP, the agent and SNMP against one node's option file, one after the
   * other as a load balancer's probes come, never all at once: on a small
   * busy machine three Node processes starting together can outlast the
   * 3 s --timeout, and the table would show the machine's load rather than
   * the node's state. HTTP goes first because its body carries the reason
   * the table shows, and an UP probe stamps the heartbeat (the next probe
   * may then say `fresh` where the first said `caught-up`).
   */
  async answers(optionFile: string): Promise<RawAnswers> {
    const args = [`--defaults-file=${optionFile}`];
    const http = output((await this.run(HTTP, args, HTTP_REQUEST)).result);
    const agent = output((await this.run(AGENT, args)).result);
    const snmp = output((await this.run(SNMP, args)).result);
    return { snmp, http, agent };
  }
}

/** The load-balancer executables exit 0 with their answer on stdout, whatever happened. */
function output(r: RunResult): ExecutableOutput {
  return r.status === 0 ? { stdout: r.stdout } : { stdout: r.stdout, failure: describeRun(r, RUN_TIMEOUT_MS) };
}
