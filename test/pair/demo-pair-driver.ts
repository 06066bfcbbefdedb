/**
 * A stand-in for the demo process, run as a child by demo-local-pair.test.ts
 * so the test can interrupt, crash or abandon it and look at what is left:
 *
 *   node demo-pair-driver.js MODE PARENT_DIR [POINTER_FILE]
 *
 * Prints "step: TEXT" for every progress step and "ready DIR" once the pair
 * runs, then by MODE:
 *   wait   stays up (at most two minutes) for the test to send a signal
 *   throw  throws an uncaught error
 *   end    returns without destroying: the process simply ends
 *   keep   keeps the pair (pointer file POINTER_FILE), prints "kept JSON", ends
 */
import { startLocalPair } from '../../src/demo/local-pair';

async function main(): Promise<void> {
  const [mode, parentDir, pointerFile] = process.argv.slice(2);
  if (mode === undefined || parentDir === undefined) throw new Error('usage: MODE PARENT_DIR [POINTER_FILE]');
  const pair = await startLocalPair({ parentDir, onStep: (text) => process.stdout.write(`step: ${text}\n`) });
  process.stdout.write(`ready ${pair.dir}\n`);
  switch (mode) {
    case 'wait':
      await new Promise((resolve) => setTimeout(resolve, 120_000));
      await pair.destroy();
      return;
    case 'throw':
      setImmediate(() => {
        throw new Error('driver: deliberate uncaught error');
      });
      return;
    case 'end':
      return;
    case 'keep':
      process.stdout.write(`kept ${JSON.stringify(pair.keep(pointerFile))}\n`);
      return;
    default:
      await pair.destroy();
      throw new Error(`unknown mode ${mode}`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`driver failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
