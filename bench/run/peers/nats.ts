// NATS JetStream as a peer: reached at NATS_URL (default 127.0.0.1:4222), its streams named
// with this run's prefix, file storage, and removed again — each after its row, and all of them
// (by prefix) when the runner exits. Unreachable, or JetStream off: the peer is skipped with
// the reason.
import {
  connect,
  DiscardPolicy,
  type JetStreamManager,
  type NatsConnection,
  StorageType,
} from 'nats';
import { type WatchedServer } from '../measure';
import { type PeerSummary } from '../results';
import { errorText, type Peer, type PeerUnavailable, watchByName, watchText } from './peer';

const CONNECT_TIMEOUT_MS = 3_000;
/** Per stream: old messages are dropped past this, so a long run cannot fill the disk. */
const STREAM_BYTES_MAX = 2 * 1024 ** 3;

export const NATS_DURABILITY_NOTE =
  'JetStream file storage: a publish is acknowledged once written to the page cache; the ' +
  'server fsyncs on a timer (sync_interval, 2 min by default), not per acknowledgement';

export class NatsPeer implements Peer {
  private constructor(
    readonly url: string,
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    /** Stream names (and the first token of their subjects) start with this. */
    private readonly streamPrefix: string,
    readonly server: WatchedServer | { reason: string },
    readonly summary: PeerSummary,
  ) {}

  static async connect(url: string, prefix: string): Promise<NatsPeer | PeerUnavailable> {
    let nc: NatsConnection | undefined;
    try {
      nc = await connect({
        servers: url,
        name: 'tributary-bench',
        timeout: CONNECT_TIMEOUT_MS,
        maxReconnectAttempts: 0,
      });
      if (nc.info?.jetstream !== true) throw new Error('the server runs without JetStream (-js)');
      const jsm = await nc.jetstreamManager({ timeout: CONNECT_TIMEOUT_MS });
      const server = watchByName(url, 'nats-server');
      return new NatsPeer(url, nc, jsm, prefix, server, {
        name: 'nats',
        status: 'ok',
        address: url,
        version: `nats-server ${nc.info.version}`,
        durability: 'page-cache',
        durabilityNote: NATS_DURABILITY_NOTE,
        serverWatch: watchText(server, 'nats-server'),
      });
    } catch (error) {
      await nc?.close().catch(() => undefined);
      return {
        name: 'nats',
        address: url,
        reason: `NATS at ${url} unreachable: ${errorText(error)}`,
      };
    }
  }

  /** A file stream `<prefix><name>` over `<prefix><name>.<token>` subjects. */
  async createStream(
    name: string,
    subjectTokens: readonly string[],
  ): Promise<{ stream: string; subjects: string[] }> {
    const stream = `${this.streamPrefix}${name}`;
    await this.jsm.streams.add({
      name: stream,
      subjects: [`${stream}.>`],
      storage: StorageType.File,
      max_bytes: STREAM_BYTES_MAX,
      discard: DiscardPolicy.Old,
    });
    return { stream, subjects: subjectTokens.map((t) => `${stream}.${t}`) };
  }

  async deleteStream(stream: string): Promise<void> {
    await this.jsm.streams.delete(stream);
  }

  async removeAll(): Promise<void> {
    const names: string[] = [];
    for await (const name of this.jsm.streams.names())
      if (name.startsWith(this.streamPrefix)) names.push(name);
    for (const name of names) await this.jsm.streams.delete(name);
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}
