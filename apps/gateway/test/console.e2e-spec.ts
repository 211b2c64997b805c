// The web console at /console against a real node: over plain HTTP (the page, its policy, its
// assets, a missing one, and a WebSocket from the node's own origin), then in a real browser
// (chromium): sign in with a key, create and alter a topic, produce from the form and see the
// record in the live tail (paused, filtered, and read again from an offset), see a consumer
// group's members and lag, and the cluster's nodes and leaders. The key never shows in a URL,
// and the page logs no error. Screenshots of each view go to test-artifacts/screenshots/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { launchBrowser, screenshot } from '../../../test/support/browser';
import { defaultConsoleDir } from '../src/console/console-assets';
import { type TestNode, startTestNode } from './harness';

const WAIT_MS = 15_000;

beforeAll(() => {
  if (!fs.existsSync(path.join(defaultConsoleDir(), 'index.html'))) {
    throw new Error(
      `${defaultConsoleDir()} has no console: run \`npm run build\` (npm test does it) first`,
    );
  }
});

describe('the web console over HTTP', () => {
  let t: TestNode;
  let key: string;

  beforeAll(async () => {
    t = await startTestNode('pglite');
    key = await t.tenant('http');
  });
  afterAll(() => t?.cleanup());

  test('the page is HTML under a strict policy, with no credential asked', async () => {
    for (const route of ['/console', '/console/']) {
      const page = await t.api.get(route);
      expect([route, page.status]).toEqual([route, 200]);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('cache-control')).toBe('no-cache');
      const policy = page.headers.get('content-security-policy')!;
      const host = new URL(t.api.baseUrl).host;
      expect(policy).toContain("default-src 'none'");
      expect(policy).toContain("script-src 'self'");
      expect(policy).toContain(`connect-src 'self' ws://${host} wss://${host}`);
      expect(policy).toContain("frame-ancestors 'none'");
      expect(page.text).toContain('<script src="/console/app.js"');
    }
  });

  test('assets have their content types; an unknown one is a 404 problem', async () => {
    const script = await t.api.get('/console/app.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const style = await t.api.get('/console/app.css');
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const missing = await t.api.get('/console/nothing-here.js');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect(missing.body.code).toBe('ROUTE_NOT_FOUND');
  });

  test('a WebSocket from the node’s own origin is admitted; another origin is not', async () => {
    const { ticket } = (await t.api.post('/v1/ws/tickets', { token: key })).body;
    const url = `${t.api.baseUrl.replace('http', 'ws')}/v1/ws?ticket=${ticket}`;
    const opened = (origin: string) =>
      new Promise<string>((resolve) => {
        const socket = new WebSocket(url, { origin });
        socket.on('open', () => {
          socket.close();
          resolve('open');
        });
        socket.on('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
        socket.on('error', (error) => resolve(`error ${error.message}`));
      });
    expect(await opened('http://elsewhere.example')).toBe('refused 403');
    expect(await opened(t.api.baseUrl)).toBe('open');
  });
});

describe('the web console in a browser', () => {
  let t: TestNode;
  let key: string;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const urls: string[] = [];

  beforeAll(async () => {
    t = await startTestNode('pglite');
    key = await t.tenant('web');
    browser = await launchBrowser();
    page = await openConsole();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.cleanup();
  });

  /** A tab on the console, its errors and every URL it asks for recorded. */
  async function openConsole(): Promise<Page> {
    const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    tab.setDefaultTimeout(WAIT_MS);
    tab.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    tab.on('pageerror', (error) => errors.push(String(error)));
    tab.on('request', (request) => urls.push(request.url()));
    tab.on('framenavigated', (frame) => urls.push(frame.url()));
    await tab.goto(`${t.api.baseUrl}/console`);
    return tab;
  }

  async function signIn(tab: Page): Promise<void> {
    await tab.getByLabel('API key').fill(key);
    await tab.getByLabel('API key').press('Enter');
    await tab.getByRole('heading', { name: 'Topics', level: 1 }).waitFor();
  }

  const nav = (tab: Page, name: string) =>
    tab.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name }).click();

  const status = (tab: Page, text: string | RegExp) =>
    tab.getByRole('status').filter({ hasText: text }).waitFor();

  async function produce(topic: string, records: object[]) {
    const answer = await t.api.post(`/v1/topics/${topic}/records`, {
      token: key,
      body: { records },
    });
    expect(answer.status).toBe(200);
    return answer.body.offsets as { partition: number; offset: number }[];
  }

  test('signs in with the key (keyboard only) and keeps it in this tab only', async () => {
    await page.getByRole('heading', { name: 'Tributary console' }).waitFor();
    await screenshot(page, 'console-sign-in');
    // A wrong key is refused with the node's own words.
    await page.getByLabel('API key').fill('not-a-key');
    await page.getByLabel('API key').press('Enter');
    await page.getByRole('alert').filter({ hasText: 'UNAUTHENTICATED' }).waitFor();
    await signIn(page);
    const stored = await page.evaluate('Object.keys(sessionStorage)');
    expect(stored).toEqual(['tributary.console.apiKey']);
    expect(await page.evaluate('localStorage.length')).toBe(0);
  });

  test('creates a topic and alters it', async () => {
    await page.getByLabel('Name').fill('orders');
    await page.getByLabel('Partitions').fill('2');
    await page.getByLabel('Settings (optional)').fill('retention.ms=86400000');
    await page.getByRole('button', { name: 'Create topic' }).click();
    await status(page, 'Created topic orders');
    await page.getByRole('row', { name: /orders/ }).waitFor();
    await screenshot(page, 'console-topics');

    await page.getByRole('link', { name: 'orders', exact: true }).first().click();
    await page.getByRole('heading', { name: 'Topic orders' }).waitFor();
    await page.getByRole('table', { name: 'Partitions' }).waitFor();
    expect(await page.getByLabel('retention.ms').inputValue()).toBe('86400000');
    await page.getByRole('spinbutton', { name: 'Partitions' }).fill('3');
    await page.getByLabel('retention.ms').fill('172800000');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await status(page, 'Saved: 3 partitions.');
    const described = await t.api.get('/v1/topics/orders', { token: key });
    expect(described.body.partitions).toHaveLength(3);
    expect(described.body.configs['retention.ms']).toBe('172800000');
    await page.getByRole('table', { name: 'Partitions' }).getByRole('row').nth(3).waitFor();
    await screenshot(page, 'console-topic');
  });

  test('a record produced from the form shows in the live tail; pause, filter, from offset', async () => {
    await nav(page, 'Live tail');
    await page.getByRole('heading', { name: 'Live tail' }).waitFor();
    await page.getByLabel('Topic').selectOption('orders');
    await page.getByRole('button', { name: 'Start tail' }).click();
    await status(page, 'Live.');

    // Another tab produces from the form; its first sign-in is its own (sessionStorage is per tab).
    const producer = await openConsole();
    await signIn(producer);
    await nav(producer, 'Produce');
    await producer.getByRole('heading', { name: 'Produce' }).waitFor();
    await producer.getByLabel('Topic').selectOption('orders');
    await producer.getByLabel('Key (optional)').fill('user-42');
    await producer.getByLabel('Value', { exact: true }).fill('{"amount": 12.5, "currency": "EUR"}');
    await producer.getByLabel('Partition (optional)').fill('1');
    await producer.getByRole('button', { name: 'Add header' }).click();
    await producer.getByLabel('Name 1').fill('trace');
    await producer.getByLabel('Value 1').fill('abc');
    await producer.getByRole('button', { name: 'Produce', exact: true }).click();
    await status(producer, 'Written to partition 1 at offset 0.');
    await screenshot(producer, 'console-produce');
    // Text that is not JSON is refused in the page unless sent as text.
    await producer.getByLabel('Value', { exact: true }).fill('plain words');
    await producer.getByRole('button', { name: 'Produce', exact: true }).click();
    await producer.getByRole('alert').filter({ hasText: 'not valid JSON' }).waitFor();
    await producer.getByLabel('Text').check();
    await producer.getByRole('button', { name: 'Produce', exact: true }).click();
    await status(producer, 'Written to partition 1 at offset 1.');
    await producer.close();

    const rows = page.getByRole('table', { name: 'Records, newest first' }).locator('tbody tr');
    const first = rows.filter({ hasText: '{"amount":12.5,"currency":"EUR"}' });
    await first.waitFor();
    await rows.filter({ hasText: 'plain words' }).waitFor();
    expect(await first.textContent()).toContain('user-42');
    expect(await first.textContent()).toContain('trace=abc');

    // Paused: what arrives is held, not shown, until resumed.
    await page.getByRole('button', { name: 'Pause' }).click();
    await produce('orders', [{ key: 'while-paused', value: { n: 1 }, partition: 0 }]);
    await page.getByText('1 held while paused').waitFor();
    expect(await rows.filter({ hasText: 'while-paused' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Resume' }).click();
    await rows.filter({ hasText: 'while-paused' }).waitFor();

    // The filter narrows the rows to those whose key, value or headers hold the text.
    await page.getByLabel('Filter').fill('EUR');
    await rows.nth(1).waitFor({ state: 'detached' });
    expect(await rows.first().textContent()).toContain('EUR');
    await screenshot(page, 'console-tail');
    await page.getByLabel('Filter').fill('');

    // From an offset of one partition: the records from there, nothing else.
    await page.getByLabel('Partition', { exact: true }).selectOption('1');
    await page.getByLabel('From offset').check();
    await page.getByLabel('Offset', { exact: true }).fill('1');
    await page.getByRole('button', { name: 'Restart tail' }).click();
    await rows.filter({ hasText: 'plain words' }).waitFor();
    await status(page, 'Live.');
    expect(await rows.count()).toBe(1);
    await page.getByRole('button', { name: 'Stop' }).click();
    await status(page, 'Stopped.');
  });

  test('shows a consumer group with its members and its lag over time', async () => {
    const joined = await t.api.post('/v1/groups/billing/members', {
      token: key,
      body: { topics: ['orders'], autoOffsetReset: 'earliest', autoCommit: false },
    });
    expect(joined.status).toBe(201);
    const member = `/v1/groups/billing/members/${joined.body.memberId}`;
    const polled = await t.api.get(`${member}/records?maxWaitMs=2000`, { token: key });
    expect(polled.status).toBe(200);
    expect(polled.body.records.length).toBeGreaterThan(0);
    const committed = await t.api.post(`${member}/commit`, { token: key });
    expect(committed.status).toBe(200);
    // Three more on a partition with a committed offset: the group lags by at least those.
    const partition = committed.body.offsets[0].partition as number;
    await produce(
      'orders',
      [1, 2, 3].map((n) => ({ value: n, partition })),
    );
    const described = await t.api.get('/v1/groups/billing', { token: key });
    const lag = described.body.offsets.reduce((sum: number, o: any) => sum + (o.lag ?? 0), 0);
    expect(lag).toBeGreaterThanOrEqual(3);

    await nav(page, 'Consumer groups');
    await page.getByRole('link', { name: 'billing' }).click();
    await page.getByRole('heading', { name: 'Group billing' }).waitFor();
    const members = page.getByRole('table', { name: 'Members' });
    await members.getByRole('row', { name: new RegExp(joined.body.memberId) }).waitFor();
    expect(await members.textContent()).toContain('orders: ');
    await page.locator('figcaption', { hasText: `Total lag now ${lag} records` }).waitFor();
    // The chart gains a sample at every poll while the page is open, and follows the lag.
    // (A line once there are two samples; a point before.)
    await page.locator('.chart polyline').waitFor({ state: 'attached' });
    await produce(
      'orders',
      [4, 5].map((n) => ({ value: n, partition })),
    );
    await page.locator('figcaption', { hasText: `Total lag now ${lag + 2} records` }).waitFor();
    await screenshot(page, 'console-group');
  });

  test('shows the cluster: nodes, the controller and partition leaders', async () => {
    await nav(page, 'Cluster');
    await page.getByRole('heading', { name: 'Cluster' }).waitFor();
    const nodes = page.getByRole('table', { name: 'Nodes' });
    await nodes.getByRole('row', { name: /1 \(controller\)/ }).waitFor();
    expect(await nodes.textContent()).toContain('alive');
    const leaders = page.getByRole('table', { name: 'Partition leaders' });
    await leaders.locator('tbody tr').nth(2).waitFor();
    await screenshot(page, 'console-cluster');
  });

  test('never put the key in a URL, and logged no error', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.filter((url) => url.includes(key))).toEqual([]);
    // The one error the browser reports is the refused sign-in with a wrong key (its 401).
    expect(errors).toEqual([expect.stringContaining('status of 401')]);
  });
});
