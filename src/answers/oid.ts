/**
 * Numeric OIDs, pure: those of an snmpd `extend` entry (NET-SNMP-EXTEND-MIB)
 * and those `mysql-failover-snmp --persist` serves through `pass_persist`.
 *
 * The tables of nsExtendOutput1Entry are indexed by nsExtendToken, an
 * OCTET STRING index: its length, then one sub-identifier per byte. So
 * `extend mfc ...` answers under `...3.1.1.3.109.102.99` (3 bytes: m f c).
 * Load balancers rarely load MIBs, so they are configured with these numbers.
 */
import { CheckError } from '../core/errors';

/** NET-SNMP-EXTEND-MIB::nsExtendOutput1Table columns (1.3.6.1.4.1.8072.1.3.2.3.1.N). */
export const NS_EXTEND_OUTPUT_1_ENTRY = '1.3.6.1.4.1.8072.1.3.2.3.1';

export const EXTEND_COLUMNS = [
  { name: 'nsExtendOutput1Line', column: 1, what: 'first line of the output (the LB reads 100 or 200 here)' },
  { name: 'nsExtendOutputFull', column: 2, what: 'the whole output' },
  { name: 'nsExtendResult', column: 4, what: 'exit status of the command' },
] as const;

export interface ExtendOid {
  object: string;
  /** e.g. nsExtendOutput1Line."mfc" */
  symbolic: string;
  /** Without a leading dot, as most load balancers want it. */
  numeric: string;
  what: string;
}

/**
 * snmpd reads the extend name as one whitespace-delimited token; a name is at
 * most 100 bytes here (an OID has at most 128 sub-identifiers, 14 are used by
 * the prefix and the length).
 */
const EXTEND_NAME = /^[\x21-\x7e]{1,100}$/;

export function extendIndex(name: string): string {
  if (!EXTEND_NAME.test(name)) {
    throw new CheckError('USAGE', `extend name must be 1 to 100 printable ASCII characters without spaces, got ${JSON.stringify(name)}`);
  }
  const bytes = Array.from(Buffer.from(name, 'ascii'));
  return [bytes.length, ...bytes].join('.');
}

export function extendOids(name: string): ExtendOid[] {
  const index = extendIndex(name);
  return EXTEND_COLUMNS.map((c) => ({
    object: c.name,
    symbolic: `${c.name}."${name}"`,
    numeric: `${NS_EXTEND_OUTPUT_1_ENTRY}.${c.column}.${index}`,
    what: c.what,
  }));
}

/**
 * A numeric OID as snmpd writes it (`.1.3.6.1...`) or as people and load
 * balancers do (`1.3.6.1...`), as sub-identifiers; undefined when it is not
 * one. Bounded as SNMP bounds them: 128 sub-identifiers of 32 bits.
 */
export function parseOid(text: string): number[] | undefined {
  const body = text.startsWith('.') ? text.slice(1) : text;
  if (!/^\d{1,10}(\.\d{1,10}){0,127}$/.test(body)) return undefined;
  const subs = body.split('.').map(Number);
  return subs.every((n) => n <= 0xffffffff) ? subs : undefined;
}

/** With the leading dot, as snmpd writes OIDs to pass_persist programs. */
export function formatOid(oid: readonly number[]): string {
  return `.${oid.join('.')}`;
}

/** SNMP's lexicographic order: sub-identifier by sub-identifier, a prefix first. */
export function compareOids(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/**
 * Where `mysql-failover-snmp --persist` answers unless --oid-base says
 * otherwise: NET-SNMP-MIB::netSnmpPlaypen (1.3.6.1.4.1.8072.9999.9999, set
 * aside for local use), branch 3306 so other local uses of the playpen stay
 * out of the way.
 */
export const DEFAULT_PERSIST_BASE = '1.3.6.1.4.1.8072.9999.9999.3306';

/** pass_persist needs room below the base for the served objects' two sub-identifiers. */
const MAX_BASE_LENGTH = 126;

/** The --oid-base value, which must be the OID of the snmpd.conf `pass_persist` line. */
export function parsePersistBase(text: string): number[] {
  const oid = parseOid(text);
  if (oid === undefined || oid.length < 2 || oid.length > MAX_BASE_LENGTH) {
    throw new CheckError('USAGE', `--oid-base must be a numeric OID such as ${DEFAULT_PERSIST_BASE}, got ${JSON.stringify(text)}`);
  }
  return oid;
}

/** The objects served under the base, in OID order (a walk returns them in this order). */
export const PERSIST_OBJECTS = [
  { name: 'mfcVerdict', sub: [1, 0], type: 'INTEGER', what: '100: send traffic here, 200: fail over (the LB reads this)' },
  { name: 'mfcReason', sub: [2, 0], type: 'STRING', what: 'reason code of the verdict (fresh, caught-up, local-unreachable, ...)' },
] as const;

export type PersistObjectName = (typeof PERSIST_OBJECTS)[number]['name'];

export interface PersistOid {
  object: PersistObjectName;
  oid: number[];
  /** Without a leading dot, as most load balancers want it. */
  numeric: string;
  type: 'INTEGER' | 'STRING';
  what: string;
}

export function persistOids(base: readonly number[]): PersistOid[] {
  return PERSIST_OBJECTS.map((o) => {
    const oid = [...base, ...o.sub];
    return { object: o.name, oid, numeric: oid.join('.'), type: o.type, what: o.what };
  });
}
