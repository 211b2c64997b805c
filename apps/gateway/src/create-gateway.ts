// Builds the gateway's Nest application over Express: our own request pipeline (request id,
// bounds, metrics, auth, then bounded body parsing), the problem+json filter (and problem+json
// for what node:http's parser refuses), the OpenAPI document served at /openapi.json with
// Swagger UI at /docs, and the web console's static files at /console.
import { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { type Logger } from 'pino';
import { Credentials } from './auth/credentials';
import { type AuthenticatedRequest } from './auth/principal';
import { CONSOLE_PATH, ConsoleAssets, serveConsole } from './console/console-assets';
import { type GatewayContext } from './gateway-context';
import { GatewayModule } from './gateway.module';
import { answerClientErrors } from './http/client-errors';
import { handleError, ProblemFilter } from './http/problem.filter';
import { LoadShedder } from './http/load-shedder';
import { RequestTracker, requestPipeline } from './http/request-pipeline';
import { RouteMethods } from './http/route-methods';
import { GatewayMetrics } from './ops/gateway-metrics';
import { openApiDocument } from './ops/openapi-document';
import { GroupMembersService } from './groups/group-members.service';
import { FetchService } from './records/fetch.service';
import { redeemTicket } from './auth/tickets';
import { Cors } from './http/cors';
import { HotRoutes } from './records/hot-routes';
import { ProduceService } from './records/produce.service';
import { EventStreamsService } from './streams/event-streams.service';
import { GatewayWsAdapter } from './ws/ws-adapter';
import { WsGateway } from './ws/ws.gateway';

export interface GatewayOptions {
  /** Called on a bug (an assertion failure) after its request is answered. */
  onFatal?: (error: unknown) => void;
}

export interface Gateway {
  app: NestExpressApplication;
  document: OpenAPIObject;
  /** Answers parked long-polls now and makes new ones return at once. */
  drain(): void;
}

export async function createGateway(
  ctx: GatewayContext,
  options: GatewayOptions = {},
): Promise<Gateway> {
  const onFatal = options.onFatal ?? (() => undefined);
  const app = await NestFactory.create<NestExpressApplication>(
    GatewayModule.forContext(ctx),
    new ExpressAdapter(),
    { bodyParser: false, logger: nestLogger(ctx.logger), abortOnError: false },
  );
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  const credentials = new Credentials(ctx.adminToken, ctx.metadata.cache);
  const shedder = new LoadShedder(ctx.loadShedding);
  const tracker = new RequestTracker({
    metrics: app.get(GatewayMetrics),
    logger: ctx.logger,
    shedder,
  });
  app.use(
    ...requestPipeline({
      credentials,
      redeemTicket: (ticket) => redeemTicket(ctx.coordinator, ctx.metadata.cache, ticket),
      tracker,
      logger: ctx.logger,
      onFatal,
    }),
  );
  app.use(
    CONSOLE_PATH,
    serveConsole(new ConsoleAssets(), (error, req, res) =>
      handleError(error, req as AuthenticatedRequest, res, ctx.logger, onFatal),
    ),
  );
  const expressApp = app.getHttpAdapter().getInstance();
  const routes = new RouteMethods(() => expressApp.router.stack);
  app.useGlobalFilters(new ProblemFilter(ctx.logger, onFatal, routes));
  const sockets = app.get(WsGateway);
  app.useWebSocketAdapter(
    new GatewayWsAdapter(app, {
      credentials,
      coordinator: ctx.coordinator,
      cache: ctx.metadata.cache,
      allowedOrigins: ctx.allowedOrigins ?? [],
      connections: () => sockets.connectionCount,
    }),
  );
  const document = openApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'openapi.json',
    raw: ['json'],
    customSiteTitle: 'Tributary API',
  });
  await app.init();
  const fetches = app.get(FetchService);
  serveHotRoutesFirst(
    app,
    new Cors(ctx.allowedOrigins ?? []),
    new HotRoutes({
      credentials,
      tracker,
      producer: app.get(ProduceService),
      fetcher: fetches,
      logger: ctx.logger,
      onFatal,
    }),
  );
  answerClientErrors(app.getHttpServer(), ctx.logger);
  const groups = app.get(GroupMembersService);
  const streams = app.get(EventStreamsService);
  return {
    app,
    document,
    drain: () => {
      shedder.close();
      sockets.drain();
      fetches.drain();
      groups.drain();
      streams.drain();
    },
  };
}

/**
 * Puts CORS, then the hot routes, ahead of Express on the HTTP server; Express gets what they
 * pass on.
 */
function serveHotRoutesFirst(app: NestExpressApplication, cors: Cors, hot: HotRoutes): void {
  const server = app.getHttpServer();
  const general = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (cors.handle(req, res)) return;
    if (hot.handle(req, res)) return;
    for (const listener of general) listener(req, res);
  });
}

function nestLogger(logger: Logger): LoggerService {
  const text = (message: unknown) =>
    typeof message === 'string' ? message : JSON.stringify(message);
  return {
    log: (message: unknown) => logger.debug(text(message)),
    error: (message: unknown, trace?: unknown) => logger.error({ trace }, text(message)),
    warn: (message: unknown) => logger.warn(text(message)),
    debug: (message: unknown) => logger.trace(text(message)),
    verbose: (message: unknown) => logger.trace(text(message)),
  };
}
