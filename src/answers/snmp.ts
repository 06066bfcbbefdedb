/**
 * What snmpd's `extend` hands to the load balancer: the hardware LBs this
 * replaces probe an OID and take 100 as "send traffic" and 200 as "fail over".
 */
import type { Verdict } from '../core/decide';

export const SNMP_UP = '100';
export const SNMP_DOWN = '200';

export function snmpAnswer(verdict: Verdict): string {
  return verdict === 'UP' ? SNMP_UP : SNMP_DOWN;
}
