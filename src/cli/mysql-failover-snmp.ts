/**
 * mysql-failover-snmp, for snmpd: its options and help, and the `extend`
 * answer (the `--persist` mode is in snmp-persist.ts).
 */
import { CheckError } from '../core/errors';
import { COMMON_OPTIONS, type OptionSpec } from '../config/option-specs';
import { DEFAULT_PERSIST_BASE } from '../answers/oid';
import { snmpAnswer } from '../answers/snmp';
import { CACHE_OPTION } from '../resident/engine';
import { lbProbe, readLbConfig, type LbCommandLine } from './lb-executable';

export const TOOL = 'mysql-failover-snmp';

/** Command line only: they describe this process, not the check the other executables share. */
export const PERSIST_OPTIONS: readonly OptionSpec[] = [
  { name: 'persist', kind: 'boolean', help: "serve snmpd's pass_persist on stdin/stdout (see above)", file: false },
  {
    name: 'oid-base',
    kind: 'string',
    arg: 'OID',
    default: DEFAULT_PERSIST_BASE,
    help: 'with --persist: the OID of the pass_persist line',
    file: false,
  },
  { ...CACHE_OPTION, help: `with --persist: ${CACHE_OPTION.help}` },
];

export const SNMP_OPTIONS: readonly OptionSpec[] = [
  ...COMMON_OPTIONS.filter((s) => s.name !== 'help' && s.name !== 'version'),
  ...PERSIST_OPTIONS,
  ...COMMON_OPTIONS.filter((s) => s.name === 'help' || s.name === 'version'),
];

export const USAGE = `Usage: ${TOOL} [OPTIONS]
       ${TOOL} --persist [--oid-base OID] [--cache SECONDS] [OPTIONS]

Prints 100 when this node may take traffic and 200 when the load balancer
should fail over, for snmpd's extend: the answer arrives within --timeout.

With --persist it runs under snmpd's pass_persist instead: one process that
keeps its connections, checks at most once per --cache, and serves
  OID.1.0  INTEGER  100 or 200, as above (the load balancer polls this)
  OID.2.0  STRING   the reason code (fresh, caught-up, local-unreachable, ...)
where OID is --oid-base, the OID of the pass_persist line in snmpd.conf.
These three options are read from the command line only.`;

/** --persist, also when the rest of the command line did not parse (the answer is then pass_persist's, not extend's). */
export function wantsPersist(start: LbCommandLine, argv: readonly string[]): boolean {
  return start.args?.values.get('persist') === true || (start.args === undefined && argv.includes('--persist'));
}

/** The `extend` answer, `100` or `200` and a newline; never rejects. */
export async function extendAnswer(start: LbCommandLine, startedAt: number): Promise<string> {
  const persistOnly = PERSIST_OPTIONS.find((s) => start.args?.values.has(s.name));
  const usageError = start.usageError ?? (persistOnly ? new CheckError('USAGE', `--${persistOnly.name} needs --persist`) : undefined);
  // A bad option must not take the answer away from the LB: the probe fails safe.
  const decision = await lbProbe(TOOL, readLbConfig({ args: start.args, usageError }, SNMP_OPTIONS), startedAt, {
    namesReason: false,
  });
  return `${snmpAnswer(decision.verdict)}\n`;
}
