// WebSockets through @nestjs/platform-ws, with the `ws` server limits set deliberately: the
// upgrade is admitted (origin, connection bound, credential) before a socket exists, client
// frames are capped (1009 past it), compression is off (it costs CPU and memory per
// connection and invites compression bombs), and Nest's own event dispatch is not used — the
// protocol's frames are handled by WsSession.
import { type INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { LIMITS } from '@tributary/common';
import { type ServerOptions, type WebSocketServer } from 'ws';
import { type UpgradeDeps, verifyUpgrade } from './ws-upgrade';

export class GatewayWsAdapter extends WsAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly upgrade: UpgradeDeps,
  ) {
    super(app);
  }

  override create(
    port: number,
    options: Record<string, unknown> & { path?: string } = {},
  ): WebSocketServer {
    const limits: ServerOptions = {
      maxPayload: LIMITS.wsFrameBytesMax,
      perMessageDeflate: false,
      clientTracking: true,
      verifyClient: verifyUpgrade(this.upgrade),
    };
    return super.create(port, { ...options, ...limits }) as WebSocketServer;
  }

  /** Frames are read by WsSession, not routed by an `event` field. */
  override bindMessageHandlers(): void {}
}
