// The one catch-all: coded errors to problem+json; anything else is logged with its stack and
// answered INTERNAL. An assertion failure is a bug, so it is also reported as fatal. A request
// no route takes is 405 with Allow when its path is served with other methods, else 404.
import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { BrokerError } from '@tributary/common';
import { type ServerResponse } from 'node:http';
import { type Response } from 'express';
import { type Logger } from 'pino';
import { type AuthenticatedRequest } from '../auth/principal';
import { isAssertion, sendProblem, toBrokerError } from './problem';
import { type RouteMethods } from './route-methods';

@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(
    private readonly logger: Logger,
    private readonly onFatal: (error: unknown) => void,
    private readonly routes: RouteMethods,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const response = http.getResponse<Response>();
    handleError(
      this.methodNotAllowed(exception, request, response) ?? exception,
      request,
      response,
      this.logger,
      this.onFatal,
    );
  }

  /** METHOD_NOT_ALLOWED, with the Allow header set, for a route that exists with other methods. */
  private methodNotAllowed(
    exception: unknown,
    request: AuthenticatedRequest,
    response: Response,
  ): BrokerError | undefined {
    if (toBrokerError(exception)?.code !== 'ROUTE_NOT_FOUND') return undefined;
    const allowed = this.routes.allowed(request.path);
    if (allowed.length === 0) return undefined;
    response.setHeader('Allow', allowed.join(', '));
    return new BrokerError(
      'METHOD_NOT_ALLOWED',
      `${request.method} is not allowed on ${request.path}; allowed: ${allowed.join(', ')}`,
    );
  }
}

/** Answers any error as problem+json; `request` needs only its id (Express's or a hot route's). */
export function handleError(
  exception: unknown,
  request: Pick<AuthenticatedRequest, 'id'>,
  response: ServerResponse,
  logger: Logger,
  onFatal: (error: unknown) => void,
): void {
  const coded = toBrokerError(exception);
  if (coded !== undefined) {
    if (coded.status >= 500) logger.warn({ reqId: request.id, err: coded }, coded.message);
    sendProblem(response, coded, request.id);
    return;
  }
  logger.error({ reqId: request.id, err: exception }, 'unexpected error');
  sendProblem(
    response,
    new BrokerError('INTERNAL', 'an unexpected error occurred; see the server log'),
    request.id,
  );
  if (isAssertion(exception)) onFatal(exception);
}
