// This node's membership: its row in the registry (how to reach it, and its incarnation, new at
// every start) and its liveness lease `broker:<id>` in coordination, held for the broker session
// and renewed three times per session. The session is valid for a session's length after the
// last renewal that succeeded, counted from when that renewal was sent; a node paused or cut off
// past it finds itself invalid before it hears anything (a leader then refuses to serve, so a
// zombie acknowledges nothing), and the controller has moved its leaderships by then.
import { randomUUID } from 'node:crypto';
import { type Clock } from '@tributary/common';
import { type Coordinator } from '@tributary/coordination';
import { type BrokerRegistration, type MetadataStore } from '@tributary/metadata';
import { type Logger } from 'pino';

export const brokerLease = (nodeId: number) => `broker:${nodeId}`;

export interface BrokerSessionOptions {
  nodeId: number;
  host: string;
  port: number;
  rpcPort: number;
  kafkaPort: number;
  sessionMs: number;
  coordinator: Coordinator;
  metadata: MetadataStore;
  clock: Clock;
  logger: Logger;
  /**
   * Called when the session is renewed after it had lapsed (the node was paused or cut off):
   * what it knew may be stale, so it stays invalid until this has caught it up.
   */
  afterLapse: () => Promise<void>;
}

export class BrokerSession {
  readonly incarnation = randomUUID();
  private validUntilMs = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private renewing = false;
  private closed = false;
  private lost = false;
  /** The session lapsed and no catch-up has succeeded since; one may be running. */
  private needsCatchUp = false;
  private catchingUp = false;

  constructor(private readonly options: BrokerSessionOptions) {}

  get registration(): BrokerRegistration {
    const { nodeId, host, port, rpcPort, kafkaPort } = this.options;
    return { id: nodeId, host, port, rpcPort, kafkaPort, incarnation: this.incarnation };
  }

  /** The ports the node listens on, once it does (registered at start). */
  setPorts(port: number, rpcPort: number): void {
    this.options.port = port;
    this.options.rpcPort = rpcPort;
  }

  /** Whether this node may act on what it leads: its lease was renewed within a session. */
  valid(): boolean {
    return (
      !this.closed && !this.needsCatchUp && this.options.clock.monotonicMs() < this.validUntilMs
    );
  }

  /**
   * Registers the node and takes its lease. Another live process holding this node id's lease
   * is refused after a session's wait (two processes must never share an id).
   */
  async start(): Promise<void> {
    const { metadata, coordinator, nodeId, sessionMs, clock } = this.options;
    await metadata.cluster.registerBroker(this.registration);
    const deadline = clock.monotonicMs() + sessionMs * 2;
    while (!(await this.renew())) {
      if (clock.monotonicMs() > deadline) {
        throw new Error(
          `node id ${nodeId} is held by another live process; give each node its own TRIBUTARY_NODE_ID`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, sessionMs / 6));
    }
    await coordinator.notifyCluster('brokers').catch(() => undefined);
    this.timer = setInterval(() => void this.tick(), Math.max(50, Math.floor(sessionMs / 3)));
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.renewing || this.closed) return;
    this.renewing = true;
    try {
      const held = await this.renew();
      if (!held && !this.lost) {
        this.lost = true;
        this.options.logger.error(
          { nodeId: this.options.nodeId },
          'this node lost its broker lease to another process; it serves nothing it led',
        );
      } else if (held && this.lost) {
        this.lost = false;
        this.options.logger.info('broker lease held again');
      }
    } catch (error) {
      this.options.logger.warn({ err: error }, 'broker lease renewal failed');
    } finally {
      this.renewing = false;
    }
  }

  /** One renewal; on success the session is valid for a session's length from its sending. */
  private async renew(): Promise<boolean> {
    const { coordinator, nodeId, sessionMs, clock } = this.options;
    const sentMs = clock.monotonicMs();
    const lapsed = this.validUntilMs !== -Infinity && sentMs >= this.validUntilMs;
    const held = await coordinator.acquireLease(brokerLease(nodeId), this.incarnation, sessionMs);
    if (!held) return false;
    this.validUntilMs = sentMs + sessionMs;
    if (lapsed && !this.needsCatchUp) {
      this.needsCatchUp = true;
      this.options.logger.warn('the broker session had lapsed; catching up before serving again');
    }
    if (this.needsCatchUp && !this.catchingUp) {
      this.catchingUp = true;
      void this.options
        .afterLapse()
        .then(
          () => (this.needsCatchUp = false),
          (error: unknown) => this.options.logger.warn({ err: error }, 'catch-up failed; retrying'),
        )
        .finally(() => (this.catchingUp = false));
    }
    return true;
  }

  /** Gives up the lease, so the controller moves this node's leaderships at once. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    const { coordinator, nodeId } = this.options;
    await coordinator.releaseLease(brokerLease(nodeId), this.incarnation).catch(() => undefined);
    await coordinator.notifyCluster('brokers').catch(() => undefined);
  }
}
