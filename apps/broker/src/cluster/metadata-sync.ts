// One cluster, one view: this node's metadata cache follows the shared store. A change made
// here is announced (a `metadata` notification, right after it is written through); a change
// announced by any node, or a metadata version found moved by the check every `intervalMs`
// (in case a notification was lost), reloads the cache, and the hosted partitions follow it.
// Reloads run one at a time, a request during one runs once more after it.
import { type Coordinator } from '@tributary/coordination';
import { type MetadataStore } from '@tributary/metadata';
import { type Logger } from 'pino';
import { Coalesced } from './coalesced';
import { type PartitionHosting } from './partition-hosting';

export interface MetadataSyncOptions {
  metadata: MetadataStore;
  coordinator: Coordinator;
  hosting: PartitionHosting;
  logger: Logger;
  intervalMs?: number;
}

export class MetadataSync {
  private version = -1;
  private timer: NodeJS.Timeout | undefined;
  private stopWatching: (() => void) | undefined;
  private readonly reload = new Coalesced(async () => {
    if (this.closed) return;
    const version = await this.options.metadata.cluster.metadataVersion();
    await this.options.metadata.reload();
    this.version = version;
    await this.options.hosting.sync();
  });
  private announcing = false;
  private closed = false;

  constructor(private readonly options: MetadataSyncOptions) {}

  async start(): Promise<void> {
    const { metadata, coordinator } = this.options;
    this.version = await metadata.cluster.metadataVersion();
    this.stopWatching = coordinator.watchCluster(
      'metadata',
      () => void this.catchUp().catch(() => undefined),
    );
    metadata.cache.onWrite(() => this.announce());
    this.timer = setInterval(() => void this.check(), this.options.intervalMs ?? 1_000);
    this.timer.unref();
  }

  /** Tells the other nodes, once per turn of the event loop however many writes it held. */
  private announce(): void {
    if (this.announcing || this.closed) return;
    this.announcing = true;
    setImmediate(() => {
      this.announcing = false;
      this.options.coordinator.notifyCluster('metadata').catch((error: unknown) => {
        this.options.logger.warn({ err: error }, 'could not announce a metadata change');
      });
    });
  }

  private async check(): Promise<void> {
    if (this.closed || this.reload.busy) return;
    try {
      const version = await this.options.metadata.cluster.metadataVersion();
      if (version !== this.version) await this.catchUp();
    } catch (error) {
      this.options.logger.warn({ err: error }, 'metadata version check failed');
    }
  }

  /** Reloads the cache and re-hosts from it; resolves once a reload begun now has finished. */
  catchUp(): Promise<void> {
    return this.reload.run();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.stopWatching?.();
    await this.reload.idle();
  }
}
