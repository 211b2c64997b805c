// A real browser for tests: Debian's chromium driven by playwright-core, headless, with no
// sandbox (tests run as root here) and no background traffic. `.ci/run` installs chromium when
// it is missing; TRIBUTARY_CHROMIUM points at another binary. Screenshots go to
// test-artifacts/screenshots/, kept after the run for a person to look at.
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';

export const CHROMIUM = process.env.TRIBUTARY_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(__dirname, '..', '..', 'test-artifacts', 'screenshots');

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `no chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set TRIBUTARY_CHROMIUM`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Saves a full-page screenshot under test-artifacts/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** A static page server on loopback (its own origin): each path answers the given HTML. */
export interface PageServer {
  origin: string;
  /** The pages it serves, by path; may be changed while it runs. */
  pages: Record<string, string>;
  close(): Promise<void>;
}

export async function servePages(pages: Record<string, string>): Promise<PageServer> {
  const server = http.createServer((request, response) => {
    const page = pages[new URL(request.url ?? '/', 'http://x').pathname];
    if (page === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    pages,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Leaves `key` in the page's sessionStorage under `tributary-key` before its scripts run, as a
 * user's sign-in would (the README's pages read it from there; a key never goes in a URL).
 */
export async function signInKey(page: Page, key: string): Promise<void> {
  // A string script: this file is compiled without the DOM library.
  await page.addInitScript(`sessionStorage.setItem('tributary-key', ${JSON.stringify(key)});`);
}
