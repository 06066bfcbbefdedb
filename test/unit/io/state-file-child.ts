/**
 * A separate process working on a state file, for state-file.test.ts:
 * concurrency between processes cannot be shown inside one.
 *
 *   increment PATH IDENTITY            read-modify-write: evaluations + 1; prints the new count
 *   recover-style PATH IDENTITY MS     like `recover`: locks, waits MS while holding, then
 *                                      peer.evaluations + 1 and recovered.by; prints the new count
 *   write-loop PATH IDENTITY N         N updates of different sizes; prints "done"
 *   hold PATH IDENTITY MS              takes the lock, prints "held", keeps it MS
 */
import { freshState, type FailoverState } from '../../../src/core/failover-state';
import { Deadline } from '../../../src/core/deadline';
import { updateState, withStateLock, type StoredState } from '../../../src/io/state-file';

const [mode, path, identity, arg] = process.argv.slice(2);
const DEADLINE_MS = 60_000;

function current(stored: StoredState): FailoverState {
  if (stored.kind === 'unusable') throw stored.error;
  return stored.kind === 'ok' ? stored.state : freshState(Date.now());
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main(): Promise<void> {
  if (path === undefined || identity === undefined) throw new Error('usage: MODE PATH IDENTITY [ARG]');
  switch (mode) {
    case 'increment': {
      const { result } = await updateState(path, identity, Deadline.in(DEADLINE_MS), (stored) => {
        const prev = current(stored);
        const next = { ...prev, evaluations: prev.evaluations + 1 };
        return { next, result: next.evaluations };
      });
      process.stdout.write(`${result}\n`);
      return;
    }
    case 'recover-style': {
      const count = await withStateLock(path, identity, Deadline.in(DEADLINE_MS), async (txn) => {
        const prev = current(txn.read());
        await sleep(Number(arg));
        const n = prev.peer.evaluations + 1;
        txn.write({ ...prev, peer: { ...prev.peer, evaluations: n }, recovered: { at: Date.now(), by: `op-${process.pid}` } });
        return n;
      });
      process.stdout.write(`${count}\n`);
      return;
    }
    case 'write-loop': {
      for (let i = 0; i < Number(arg); i++) {
        await updateState(path, identity, Deadline.in(DEADLINE_MS), (stored) => {
          const prev = current(stored);
          // Sizes from 1 to 16 KiB: a reader catching a partial write would see a cut file.
          const detail = `${i} `.padEnd(1 + ((i * 7919) % 16_384), 'x');
          return { next: { ...prev, evaluations: i, cause: { reason: 'error', detail } }, result: undefined };
        });
      }
      process.stdout.write('done\n');
      return;
    }
    case 'hold': {
      await withStateLock(path, identity, Deadline.in(Number(arg) + 10_000), async () => {
        process.stdout.write('held\n');
        await sleep(Number(arg));
      });
      return;
    }
    default:
      throw new Error(`unknown mode ${String(mode)}`);
  }
}

main().catch((e: unknown) => {
  const code = (e as { code?: unknown }).code;
  process.stderr.write(`${String(code)} ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
