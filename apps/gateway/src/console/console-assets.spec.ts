// The console's file serving on its own, over a directory of stand-in files: types, caching
// headers, the policy, HEAD, 304, names that are not files of the bundle, and a bundle that was
// never built.
import * as fsp from 'node:fs/promises';
import { type AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import express from 'express';
import { type Server } from 'node:http';
import { CONSOLE_PATH, ConsoleAssets, securityHeaders, serveConsole } from './console-assets';

describe('console assets', () => {
  let dir: string;
  let server: Server;
  let base: string;
  let assets: ConsoleAssets;

  beforeAll(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-console-'));
    assets = new ConsoleAssets(dir);
    const app = express();
    app.use((req, _res, next) => {
      (req as unknown as { id: string }).id = 'test-request';
      next();
    });
    app.use(
      CONSOLE_PATH,
      serveConsole(assets, (_error, _req, res) => res.status(500).end()),
    );
    app.use((_req, res) => res.status(404).send('fell through'));
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await fsp.rm(dir, { recursive: true, force: true });
  });

  async function write(name: string, text: string) {
    await fsp.writeFile(path.join(dir, name), text);
  }

  test('a console that was never built answers a problem that says how to build it', async () => {
    for (const route of ['/console', '/console/', '/console/app.js']) {
      const answer = await fetch(base + route);
      expect(answer.status).toBe(404);
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
      const problem = (await answer.json()) as { code: string; detail: string; requestId: string };
      expect(problem.code).toBe('ROUTE_NOT_FOUND');
      expect(problem.detail).toContain('npm run build');
      expect(problem.requestId).toBe('test-request');
    }
  });

  test('serves each file with its type, no-cache, an ETag and the policy', async () => {
    await write('index.html', '<!doctype html><title>console</title>');
    await write('app.js', 'console.log(1);');
    await write('app.css', 'body{}');
    await write('icon.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>');
    const expected: Record<string, [string, string]> = {
      '/console': ['text/html; charset=utf-8', '<!doctype html><title>console</title>'],
      '/console/': ['text/html; charset=utf-8', '<!doctype html><title>console</title>'],
      '/console/app.js': ['text/javascript; charset=utf-8', 'console.log(1);'],
      '/console/app.css': ['text/css; charset=utf-8', 'body{}'],
      '/console/icon.svg': ['image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg"/>'],
    };
    for (const [route, [type, body]] of Object.entries(expected)) {
      const answer = await fetch(base + route);
      expect([route, answer.status, answer.headers.get('content-type')]).toEqual([
        route,
        200,
        type,
      ]);
      expect(await answer.text()).toBe(body);
      expect(answer.headers.get('cache-control')).toBe('no-cache');
      expect(answer.headers.get('etag')).toMatch(/^"[\w-]{27}"$/);
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      const policy = answer.headers.get('content-security-policy')!;
      expect(policy).toContain("default-src 'none'");
      expect(policy).toContain(`connect-src 'self' ws://${new URL(base).host}`);
    }
  });

  test('HEAD answers the headers alone, and a matching If-None-Match a 304', async () => {
    await write('app.js', 'console.log(2);');
    const head = await fetch(`${base}/console/app.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('15');
    expect(await head.text()).toBe('');
    const etag = head.headers.get('etag')!;
    const again = await fetch(`${base}/console/app.js`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    // A rebuilt file has another tag, so the browser takes the new one.
    await write('app.js', 'console.log(3); // rebuilt');
    const rebuilt = await fetch(`${base}/console/app.js`, { headers: { 'if-none-match': etag } });
    expect(rebuilt.status).toBe(200);
    expect(await rebuilt.text()).toBe('console.log(3); // rebuilt');
  });

  test('names that are not files of the bundle are 404 problems', async () => {
    await write('index.html', '<!doctype html>');
    await write('notes.txt', 'not a type the console serves');
    for (const route of [
      '/console/missing.js',
      '/console/notes.txt',
      '/console/.hidden.js',
      '/console/..%2Fpackage.json',
      '/console/nested/app.js',
    ]) {
      const answer = await fetch(base + route);
      expect([route, answer.status]).toEqual([route, 404]);
      expect(((await answer.json()) as { code: string }).code).toBe('ROUTE_NOT_FOUND');
    }
    // Other methods are not the console's: they go on to the routes behind it.
    const posted = await fetch(`${base}/console`, { method: 'POST' });
    expect(await posted.text()).toBe('fell through');
  });

  test('the policy names the socket host only when the Host header is a plain host', () => {
    const connect = (host: string | undefined) =>
      /connect-src ([^;]*)/.exec(securityHeaders(host)['Content-Security-Policy']!)![1];
    expect(connect('localhost:8080')).toBe("'self' ws://localhost:8080 wss://localhost:8080");
    expect(connect('[::1]:8080')).toBe("'self' ws://[::1]:8080 wss://[::1]:8080");
    expect(connect("evil; script-src 'unsafe-inline'")).toBe("'self'");
    expect(connect(undefined)).toBe("'self'");
  });
});
