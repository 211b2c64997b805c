// The WebSocket endpoint, GET /v1/ws: each admitted connection becomes a WsSession. The
// gateway keeps the open sessions, so that a draining node can close them (1001) and tests and
// metrics can see what every connection has buffered.
import { type IncomingMessage } from 'node:http';
import { Inject } from '@nestjs/common';
import { type OnGatewayConnection, WebSocketGateway } from '@nestjs/websockets';
import { type Logger } from 'pino';
import { Gauge } from 'prom-client';
import { type WebSocket } from 'ws';
import { LOGGER, WS_LIMITS } from '../node-services';
import { GatewayMetrics } from '../ops/gateway-metrics';
import { upgradePrincipal } from './ws-upgrade';
import { WsOperations } from './ws-operations';
import { WS_CLOSE, type WsLimits, WsSession } from './ws-session';

@WebSocketGateway({ path: '/v1/ws' })
export class WsGateway implements OnGatewayConnection {
  readonly sessions = new Set<WsSession>();
  private draining = false;

  constructor(
    @Inject(WS_LIMITS) private readonly limits: WsLimits,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly operations: WsOperations,
    metrics: GatewayMetrics,
  ) {
    const sessions = this.sessions;
    new Gauge({
      name: 'tributary_ws_connections',
      help: 'Open WebSocket connections',
      registers: [metrics.registry],
      collect() {
        this.set(sessions.size);
      },
    });
    new Gauge({
      name: 'tributary_ws_buffered_bytes',
      help: 'Bytes WebSocket connections have queued for the network',
      registers: [metrics.registry],
      collect() {
        let total = 0;
        for (const session of sessions) total += session.bufferedBytes;
        this.set(total);
      },
    });
  }

  handleConnection(socket: WebSocket, request: IncomingMessage): void {
    const auth = upgradePrincipal(request);
    if (auth === undefined || this.draining) {
      socket.close(WS_CLOSE.goingAway, 'not admitted');
      return;
    }
    const session = new WsSession(
      socket,
      auth,
      this.operations,
      this.limits,
      this.logger,
      (closed) => this.sessions.delete(closed),
    );
    this.sessions.add(session);
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  /** Shutting down: every connection is told to go away. */
  drain(): void {
    this.draining = true;
    for (const session of [...this.sessions]) session.close(WS_CLOSE.goingAway, 'shutting down');
  }
}
