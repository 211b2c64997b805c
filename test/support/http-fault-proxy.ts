// An HTTP proxy in front of a node that spoils the requests a test picks: it answers one with
// a problem of its own (a 503 with Retry-After, as a node under load would), holds one until
// the test lets it go, or forwards one and then drops the connection instead of relaying the
// answer (the node wrote, the client never heard). Everything else is forwarded as it is.
// Whole bodies only: not for streams.
import * as http from 'node:http';
import { type AddressInfo } from 'node:net';

export type Fault =
  | 'forward'
  | 'lose-answer'
  | { hold: Promise<void> }
  | { status: number; body: object; headers?: Record<string, string> };

export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  fault: Fault;
  /** The node's answer, when it was asked. */
  status?: number;
  answerHeaders?: Headers;
}

export class HttpFaultProxy {
  /** Every request, in arrival order. */
  readonly seen: Seen[] = [];

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(
    target: string,
    decide: (request: http.IncomingMessage, index: number) => Fault,
  ): Promise<HttpFaultProxy> {
    const holder: { proxy?: HttpFaultProxy } = {};
    const server = http.createServer((req, res) => {
      const proxy = holder.proxy!;
      const seen: Seen = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        fault: decide(req, proxy.seen.length),
      };
      proxy.seen.push(seen);
      proxy.serve(target, req, res, seen).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    holder.proxy = new HttpFaultProxy(server, `http://127.0.0.1:${port}`);
    return holder.proxy;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async serve(
    target: string,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    seen: Seen,
  ): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const fault = seen.fault;
    if (typeof fault === 'object' && 'status' in fault) {
      res.writeHead(fault.status, { 'content-type': 'application/problem+json', ...fault.headers });
      res.end(JSON.stringify(fault.body));
      return;
    }
    if (typeof fault === 'object') await fault.hold;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name)) {
        headers[name] = value;
      }
    }
    const body = Buffer.concat(chunks);
    const answer = await fetch(target + seen.url, {
      method: seen.method,
      headers,
      ...(body.length === 0 ? {} : { body }),
      signal: AbortSignal.timeout(60_000),
    });
    const text = Buffer.from(await answer.arrayBuffer());
    seen.status = answer.status;
    seen.answerHeaders = answer.headers;
    if (fault === 'lose-answer') {
      res.destroy();
      return;
    }
    const out: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(name))
        out[name] = value;
    });
    res.writeHead(answer.status, out);
    res.end(text);
  }
}
