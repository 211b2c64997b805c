// Everything the runner starts or creates registers how to undo it here: the node, load
// generators, temporary directories, NATS streams and Redis keys. The undo steps run in reverse
// order on the way out — after a normal run, after a failure, and on Ctrl-C or SIGTERM — each
// with a time limit, so that one stuck step cannot keep the others (or the exit) waiting.

const STEP_TIMEOUT_MS = 15_000;

interface Step {
  name: string;
  undo: () => Promise<void> | void;
}

/** Thrown where the runner would start something new after cleaning up has begun. */
export class Aborted extends Error {
  override readonly name = 'Aborted';
}

export class Cleanup {
  private readonly steps: Step[] = [];
  private running: Promise<void> | undefined;

  /**
   * Registers an undo step; the returned function runs it now (once) and unregisters it. Once
   * cleaning up has begun (Ctrl-C), nothing new may start: the step runs at once and Aborted is
   * thrown, so that the scenario stops instead of racing the cleanup.
   */
  add(name: string, undo: () => Promise<void> | void): () => Promise<void> {
    const step: Step = { name, undo };
    if (this.running !== undefined) {
      void runStep(step);
      throw new Aborted(`stopping: ${name} not started`);
    }
    this.steps.push(step);
    return async () => {
      // Cleaning up in progress: it owns the order (newest first); wait for all of it.
      if (this.running !== undefined) return this.running;
      const index = this.steps.indexOf(step);
      if (index === -1) return;
      this.steps.splice(index, 1);
      await runStep(step);
    };
  }

  /** Runs every remaining step, newest first; safe to call more than once. */
  runAll(): Promise<void> {
    this.running ??= (async () => {
      while (this.steps.length > 0) await runStep(this.steps.pop()!);
    })();
    return this.running;
  }
}

async function runStep(step: Step): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(step.undo),
      new Promise<void>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), STEP_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    process.stderr.write(
      `cleanup: ${step.name}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  } finally {
    clearTimeout(timer);
  }
}

/**
 * On SIGINT/SIGTERM: clean up, then exit with 128 + the signal number. A second signal while
 * cleaning up exits at once (the user insists).
 */
export function cleanUpOnSignals(cleanup: Cleanup): void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals, code: number) => {
    if (received) process.exit(code);
    received = true;
    process.stderr.write(`\n${signal}: stopping what the bench started…\n`);
    void cleanup.runAll().finally(() => process.exit(code));
  };
  process.on('SIGINT', () => onSignal('SIGINT', 130));
  process.on('SIGTERM', () => onSignal('SIGTERM', 143));
}
