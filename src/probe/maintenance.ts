/**
 * Row 0 of the decision table: while the maintenance file exists the answer
 * is DOWN (maintenance) and no server is asked. It is looked at on every
 * probe, never cached: an operator draining a node expects the answer to
 * change at once, and to come back at once when the file goes.
 */
import { existsSync } from 'node:fs';
import type { Facts } from '../core/decide';
import type { CheckSettings } from '../config/settings';

export function inMaintenance(s: CheckSettings): boolean {
  return s.maintenanceFile !== undefined && existsSync(s.maintenanceFile);
}

/** The facts while in maintenance: nothing else is looked at, no server is asked. */
export function maintenanceFacts(): Facts {
  return {
    maintenance: true,
    local: { ok: false, error: { code: 'MAINTENANCE', message: 'not checked (maintenance)' } },
    peer: { configured: false },
  };
}
