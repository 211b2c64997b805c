// Pages in a real browser (chromium) against a real node: a page on an allowed origin gets a
// ticket, produces, opens a WebSocket and an EventSource with tickets and reads its records;
// a page on another origin can do none of it, though it holds a valid key and a valid ticket.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  type PageServer,
  launchBrowser,
  screenshot,
  servePages,
  signInKey,
} from '../../../test/support/browser';
import { waitUntil } from '@tributary/common';
import { type TestNode, startTestNode } from './harness';

/** What the page tries, step by step; every step's outcome is recorded, none throws. */
const SCENARIO = `
<!doctype html><meta charset="utf-8"><title>browser client</title><pre id="log"></pre>
<script>
window.scenario = async (api, key, outsideTicket) => {
  const log = (line) => (document.getElementById('log').textContent += line + '\\n');
  const out = {};
  const attempt = async (name, step) => {
    try { out[name] = await step(); } catch (error) { out[name] = { failed: String(error) }; }
    log(name + ': ' + JSON.stringify(out[name]));
  };
  const auth = { authorization: 'Bearer ' + key };
  const ticket = async () => {
    const answer = await fetch(api + '/v1/ws/tickets', { method: 'POST', headers: auth });
    return (await answer.json()).ticket;
  };
  await attempt('ticket', async () => ({ ticket: typeof (await ticket()) }));
  await attempt('produce', async () => {
    const answer = await fetch(api + '/v1/topics/clicks/records', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': 'page-1' },
      body: JSON.stringify({ records: [{ key: 'k', value: { page: 1 } }, { value: 'two' }] }),
    });
    const body = await answer.json();
    return {
      status: answer.status,
      offsets: body.offsets.map((o) => o.offset),
      requestId: answer.headers.get('x-request-id') !== null,
    };
  });
  const withTimeout = (ms, work) =>
    Promise.race([work, new Promise((resolve) => setTimeout(() => resolve({ timedOut: ms }), ms))]);
  await attempt('websocket', () =>
    withTimeout(10000, (async () => {
      const t = outsideTicket ?? (await ticket());
      const ws = new WebSocket(api.replace('http', 'ws') + '/v1/ws?ticket=' + encodeURIComponent(t));
      return await new Promise((resolve) => {
        const values = [];
        ws.onopen = () =>
          ws.send(JSON.stringify({ op: 'subscribe', id: 's', topic: 'clicks', from: 'earliest', credit: 10 }));
        ws.onmessage = (event) => {
          const frame = JSON.parse(event.data);
          if (frame.op === 'records') values.push(...frame.records.map((r) => r.value));
          if (values.length >= 2) { ws.close(); resolve({ values }); }
        };
        ws.onclose = (event) => resolve({ closed: event.code, values });
      });
    })()),
  );
  await attempt('events', () =>
    withTimeout(10000, (async () => {
      const t = outsideTicket ?? (await ticket());
      const source = new EventSource(
        api + '/v1/topics/clicks/events?from=earliest&ticket=' + encodeURIComponent(t),
      );
      return await new Promise((resolve) => {
        const ids = [];
        source.onmessage = (event) => {
          ids.push(event.lastEventId);
          if (ids.length >= 2) { source.close(); resolve({ ids }); }
        };
        source.onerror = () => { source.close(); resolve({ error: true, ids }); };
      });
    })()),
  );
  return out;
};
</script>`;

/** The README's browser page, as written. */
function readmeBrowserPage(): string {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### In a browser'));
  const html = /```html\n([\s\S]*?)```/.exec(section)?.[1];
  if (html === undefined) throw new Error('the README has no browser page');
  return html;
}

describe('pages in a browser', () => {
  let t: TestNode;
  let key: string;
  let browser: Browser;
  let allowed: PageServer;
  let other: PageServer;

  beforeAll(async () => {
    allowed = await servePages({ '/': SCENARIO, '/readme.html': '' });
    other = await servePages({ '/': SCENARIO });
    t = await startTestNode('pglite', {}, { allowedOrigins: [allowed.origin] });
    key = await t.tenant('web');
    for (const name of ['clicks', 'greetings']) {
      const created = await t.api.post('/v1/topics', {
        token: key,
        body: { name, partitions: 1 },
      });
      expect(created.status).toBe(201);
    }
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.cleanup();
    await allowed?.close();
    await other?.close();
  });

  async function run(origin: string, outsideTicket: string | null, name: string) {
    const page: Page = await browser.newPage();
    try {
      await page.goto(origin + '/');
      const result = await page.evaluate(
        ([api, token, ticket]) =>
          (
            globalThis as unknown as { scenario: (...args: unknown[]) => Promise<unknown> }
          ).scenario(api, token, ticket),
        [t.api.baseUrl, key, outsideTicket] as const,
      );
      await screenshot(page, name);
      return result as Record<string, Record<string, unknown>>;
    } finally {
      await page.close();
    }
  }

  it('lets a page on an allowed origin get tickets, produce, and read over WebSocket and SSE', async () => {
    const result = await run(allowed.origin, null, 'browser-allowed-origin');
    expect(result.ticket).toEqual({ ticket: 'string' });
    expect(result.produce).toEqual({ status: 200, offsets: [0, 1], requestId: true });
    expect(result.websocket).toEqual({ values: [{ page: 1 }, 'two'] });
    expect(result.events).toEqual({ ids: ['0:0', '0:1'] });
  });

  it('keeps a page on another origin out, even with a valid key and a valid ticket', async () => {
    const ticket = async () => {
      const issued = await t.api.post('/v1/ws/tickets', { token: key });
      expect(issued.status).toBe(201);
      return issued.body.ticket as string;
    };
    // The key is refused by CORS (the browser keeps the answers from the page).
    const result = await run(other.origin, null, 'browser-other-origin');
    expect(result.ticket!.failed).toContain('TypeError');
    expect(result.produce!.failed).toContain('TypeError');
    // A ticket handed to it from elsewhere opens nothing either.
    const withTicket = await run(other.origin, await ticket(), 'browser-other-origin-ticket');
    expect(withTicket.websocket!.values).toEqual([]);
    expect(withTicket.websocket!.closed).toBeDefined();
    expect(withTicket.events).toEqual({ error: true, ids: [] });
    // Nothing the other page tried was written.
    const end = await t.api.get('/v1/topics/clicks/partitions/0/records?offset=2&maxWaitMs=0', {
      token: key,
    });
    expect(end.status).toBe(200);
    expect(end.body.records).toEqual([]);
  });

  it("runs the README's browser page as written: produce, WebSocket and events", async () => {
    allowed.pages['/readme.html'] = readmeBrowserPage().replaceAll(
      'http://localhost:8080',
      t.api.baseUrl,
    );
    const page = await browser.newPage();
    const lines: string[] = [];
    page.on('console', (message) => lines.push(`${message.type()} ${message.text()}`));
    page.on('pageerror', (error) => lines.push(`pageerror ${error.message}`));
    try {
      await signInKey(page, key);
      await page.goto(allowed.origin + '/readme.html');
      const seen = (prefix: string, text: string) =>
        lines.some((line) => line.startsWith(prefix) && line.includes(text));
      await waitUntil(
        () =>
          seen('log websocket', '"value":{"hello":"browser"}') &&
          seen('log event 0:0', '"value":{"hello":"browser"}'),
        "the page's WebSocket and events",
        15_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}; the page logged: ${lines.join(' | ')}`);
      });
      expect(lines.find((line) => line.startsWith('log produced'))).toContain('"offset":0');
      expect(lines.filter((line) => /^(error|pageerror)/.test(line))).toEqual([]);
      await screenshot(page, 'browser-readme-page');
    } finally {
      await page.close();
    }
  });
});
