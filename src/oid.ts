/**
 * Numeric OIDs of an snmpd `extend` entry (NET-SNMP-EXTEND-MIB), pure.
 *
 * The tables of nsExtendOutput1Entry are indexed by nsExtendToken, an
 * OCTET STRING index: its length, then one sub-identifier per byte. So
 * `extend mfc ...` answers under `...3.1.1.3.109.102.99` (3 bytes: m f c).
 * Load balancers rarely load MIBs, so they are configured with these numbers.
 */
import { CheckError } from './errors';

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
    throw new CheckError(
      'USAGE',
      `extend name must be 1 to 100 printable ASCII characters without spaces, got ${JSON.stringify(name)}`,
    );
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
