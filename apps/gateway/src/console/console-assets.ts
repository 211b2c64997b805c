// The web console: static files (index.html, app.js, app.css, ...) that `npm run build` bundles
// into dist/console, served at /console without a credential (the page asks for the API key and
// sends it in the Authorization header of its own calls). Every answer forbids the page to load
// anything from elsewhere or to connect anywhere but back to this node (HTTP and WebSocket), and
// says `no-cache` with an ETag: a rebuilt console is picked up at once, an unchanged one costs a
// 304. A file is read again when it changes on disk.
import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { BrokerError } from '@tributary/common';
import { findRepoRoot } from '@tributary/metadata';
import { type Request, type RequestHandler, type Response } from 'express';
import { type AuthenticatedRequest } from '../auth/principal';
import { sendProblem } from '../http/problem';

export const CONSOLE_PATH = '/console';
const INDEX = 'index.html';
/** A file directly in the bundle directory: no separators, no leading dot. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** A Host header safe to repeat in the policy: a name or an IPv4/IPv6 address, and a port. */
const HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
  mtimeMs: number;
  size: number;
}

/** The built files in one directory, each kept in memory until it changes on disk. */
export class ConsoleAssets {
  private readonly cache = new Map<string, Asset>();

  constructor(readonly dir: string = defaultConsoleDir()) {}

  /** The named file; undefined when it is not there (or not a type the console serves). */
  async read(name: string): Promise<Asset | undefined> {
    const contentType = CONTENT_TYPES[path.extname(name)];
    if (!FILE_NAME.test(name) || contentType === undefined) return undefined;
    const file = path.join(this.dir, name);
    const stat = await fsp.stat(file).catch(() => undefined);
    if (stat === undefined || !stat.isFile()) {
      this.cache.delete(name);
      return undefined;
    }
    const cached = this.cache.get(name);
    if (cached !== undefined && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) {
      return cached;
    }
    const body = await fsp.readFile(file);
    const digest = createHash('sha256').update(body).digest('base64url').slice(0, 27);
    const asset = {
      body,
      contentType,
      etag: `"${digest}"`,
      mtimeMs: stat.mtimeMs,
      size: stat.size,
    };
    this.cache.set(name, asset);
    return asset;
  }
}

/** dist/console under the repository (or package) root, from src or from dist alike. */
export function defaultConsoleDir(): string {
  return path.join(findRepoRoot(__dirname), 'dist', 'console');
}

/**
 * Express middleware for GET and HEAD under /console (mounted there); other methods pass on.
 * `fail` answers an unexpected error (a file that cannot be read).
 */
export function serveConsole(
  assets: ConsoleAssets,
  fail: (error: unknown, req: Request, res: Response) => void,
): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next();
      return;
    }
    const requestId = (req as AuthenticatedRequest).id;
    const name = req.path === '/' ? INDEX : req.path.slice(1);
    const answer = async () => {
      const asset = await assets.read(name);
      if (asset === undefined) {
        sendProblem(res, await missing(assets, name), requestId);
        return;
      }
      res.setHeader('Content-Type', asset.contentType);
      res.setHeader('Cache-Control', 'no-cache');
      res.setHeader('ETag', asset.etag);
      for (const [header, value] of Object.entries(securityHeaders(req.headers.host))) {
        res.setHeader(header, value);
      }
      if (req.headers['if-none-match'] === asset.etag) {
        res.statusCode = 304;
        res.end();
        return;
      }
      res.statusCode = 200;
      res.setHeader('Content-Length', asset.body.length);
      res.end(req.method === 'HEAD' ? undefined : asset.body);
    };
    answer().catch((error: unknown) => fail(error, req, res));
  };
}

async function missing(assets: ConsoleAssets, name: string): Promise<BrokerError> {
  if (name !== INDEX && (await assets.read(INDEX)) !== undefined) {
    return new BrokerError('ROUTE_NOT_FOUND', `the web console has no file ${name}`);
  }
  return new BrokerError(
    'ROUTE_NOT_FOUND',
    `the web console is not built on this node (no ${path.join(assets.dir, INDEX)}): ` +
      'run `npm run build` (npm start does it), then reload',
  );
}

/**
 * The page may load scripts, styles and images from this node only, and connect back to it
 * alone: 'self' covers HTTP, and the ws:/wss: sources name the same host for browsers that do
 * not yet count a WebSocket to the page's own host as 'self'. No frames, no plugins, no
 * <base>, no form submissions (the forms are handled by the script, so a key typed into one
 * can never end up in a URL).
 */
export function securityHeaders(host: string | undefined): Record<string, string> {
  const sockets = host !== undefined && HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return {
    'Content-Security-Policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self'",
      `connect-src 'self'${sockets}`,
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}
