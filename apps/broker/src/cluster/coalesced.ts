// A task that runs one at a time: asked while it runs, it runs once more right after (however
// many times it was asked meanwhile), and the caller's promise settles when that run ends. A
// run that begins after the ask sees whatever prompted it.
export class Coalesced<T> {
  private running: Promise<T> | undefined;
  private again = false;

  constructor(private readonly task: () => Promise<T>) {}

  get busy(): boolean {
    return this.running !== undefined;
  }

  run(): Promise<T> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    const loop = async (): Promise<T> => {
      let result: T;
      do {
        this.again = false;
        result = await this.task();
      } while (this.again);
      return result;
    };
    this.running = loop().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Resolves once no run is in progress (its outcome ignored). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }
}
