/**
 * Tears the demo down however the process ends: normally, by an uncaught
 * error (both emit 'exit', where only synchronous code runs), or by SIGINT,
 * SIGTERM or SIGHUP (which would otherwise end the process without 'exit').
 *
 * The handlers exist only while something is guarded, so a process that
 * destroyed or kept its pair gets its default signal behaviour back. After
 * tearing down on a signal, the signal is raised again so the process ends
 * as it would have (exit status 128+n), unless someone else also listens
 * for it: then ending the process is theirs to decide.
 */
type Teardown = () => void;

const guarded = new Set<Teardown>();
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function runAll(): void {
  for (const teardown of [...guarded]) {
    guarded.delete(teardown);
    try {
      teardown();
    } catch {
      // one failed teardown must not stop the others
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  uninstall();
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.removeListener('exit', runAll);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

/**
 * Runs `teardown` (synchronous: kill, wait a bounded moment, remove) if the
 * process ends before the returned release function is called.
 */
export function guardUntilReleased(teardown: Teardown): () => void {
  guarded.add(teardown);
  install();
  return () => {
    guarded.delete(teardown);
    if (guarded.size === 0) uninstall();
  };
}
