// Progress of a long operation on stderr: records so far and the rate, once a second, and a
// summary at the end. Shown only when stderr is a terminal (rewritten in place) or with
// --progress (one line a second), so stdout stays data only and pipes stay quiet.
import { type Writable } from 'node:stream';

const INTERVAL_MS = 1_000;

export class Progress {
  private count = 0;
  private readonly startedMs = performance.now();
  private lastCount = 0;
  private lastMs = this.startedMs;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly tty: boolean;

  constructor(
    private readonly stderr: Writable & { isTTY?: boolean },
    private readonly verb: string,
    enabled: boolean,
  ) {
    this.tty = stderr.isTTY === true;
    if (enabled) {
      this.timer = setInterval(() => this.tick(), INTERVAL_MS);
      this.timer.unref();
    }
  }

  get total(): number {
    return this.count;
  }

  add(records: number): void {
    this.count += records;
  }

  /** Stops the ticker and writes the summary (when shown). */
  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    const seconds = (performance.now() - this.startedMs) / 1000;
    const rate = seconds > 0 ? Math.round(this.count / seconds) : this.count;
    this.write(
      `${this.verb} ${format(this.count)} records in ${seconds.toFixed(1)} s (${format(rate)}/s)`,
      true,
    );
  }

  private tick(): void {
    const now = performance.now();
    const rate = Math.round(((this.count - this.lastCount) * 1000) / (now - this.lastMs));
    this.lastCount = this.count;
    this.lastMs = now;
    this.write(`${this.verb} ${format(this.count)} records (${format(rate)}/s)`, false);
  }

  private write(line: string, final: boolean): void {
    if (this.tty) this.stderr.write(`\r\x1b[K${line}${final ? '\n' : ''}`);
    else this.stderr.write(`${line}\n`);
  }
}

function format(n: number): string {
  return n.toLocaleString('en-US');
}
