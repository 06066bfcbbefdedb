import { CheckError } from './errors';

/**
 * A point in time after which a step must give up. Every network step of a
 * check takes one: the original script hung forever on a hung server, and
 * snmpd, which runs `extend` commands synchronously, stopped answering every
 * SNMP request meanwhile.
 */
export class Deadline {
  readonly at: number;

  constructor(at: number) {
    this.at = at;
  }

  static in(ms: number): Deadline {
    return new Deadline(Date.now() + ms);
  }

  remaining(): number {
    return Math.max(0, this.at - Date.now());
  }

  expired(): boolean {
    return Date.now() >= this.at;
  }

  /** The earlier of this deadline and `ms` from now. */
  within(ms: number): Deadline {
    return new Deadline(Math.min(this.at, Date.now() + ms));
  }
}

/**
 * Runs `start` and settles with its result, or rejects with a TIMEOUT error when
 * the deadline passes first; `onTimeout` then releases whatever `start` holds
 * (destroys a socket), so nothing is left waiting behind the answer.
 */
export function withDeadline<T>(deadline: Deadline, what: string, start: () => Promise<T>, onTimeout: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      try {
        onTimeout();
      } finally {
        reject(new CheckError('TIMEOUT', `${what}: no answer within the deadline`));
      }
    }, deadline.remaining());
    start().then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
