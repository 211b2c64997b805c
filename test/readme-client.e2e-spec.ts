// The README's "TypeScript SDK" and "CLI" sections work as written, against a node started as
// `npm start` does (in a fresh directory, so data/default-key is there). The TypeScript
// snippets are bundled with esbuild (resolving @tributary/client through tsconfig.json) and
// run by Node; the browser snippet runs in Chromium, on a page of another origin, with the
// bundle the README's esbuild command makes; the CLI commands run in bash, where
// node_modules/.bin/tributary links to this package's bin as npm links a dependency's. Only the
// node's port is changed (in the URLs, and TRIBUTARY_URL for the CLI).
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { build } from 'esbuild';
import { type Browser } from 'playwright-core';
import { launchBrowser, signInKey } from './support/browser';
import { freePort } from './support/ports';
import { bash, readmeBlocks, streamUntil } from './support/readme';
import { type ServiceProcess, startService } from './support/service-process';

const ROOT = path.join(__dirname, '..');

let cwd: string;
let port: number;
let pagePort: number;
let service: ServiceProcess;
let env: NodeJS.ProcessEnv;
const local = (text: string) => text.replaceAll('localhost:8080', `127.0.0.1:${port}`);

beforeAll(async () => {
  cwd = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-readme-client-'));
  [port, pagePort] = [await freePort(), await freePort()];
  env = { ...process.env, PORT: String(port) };
  for (const name of ['DATA_DIR', 'DATABASE_URL', 'REDIS_URL', 'TRIBUTARY_ADMIN_TOKEN', 'HOST'])
    delete env[name];
  env.TRIBUTARY_ALLOWED_ORIGINS = `http://127.0.0.1:${pagePort}`;
  service = await startService(env, cwd);
  env.TRIBUTARY_API_KEY = (
    await fsp.readFile(path.join(cwd, 'data', 'default-key'), 'utf8')
  ).trim();
}, 90_000);
afterAll(async () => {
  service?.proc.kill('SIGTERM');
  await service?.exited;
  await fsp.rm(cwd, { recursive: true, force: true });
});

/** A TypeScript snippet bundled into dist/ (where `ws` resolves) and started by Node. */
async function bundleSnippet(name: string, code: string): Promise<string> {
  const outfile = path.join(ROOT, 'dist', 'readme-snippets', `${name}.mjs`);
  await build({
    stdin: { contents: local(code), resolveDir: ROOT, loader: 'ts', sourcefile: `${name}.ts` },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    tsconfig: path.join(ROOT, 'tsconfig.json'),
    external: ['ws'],
    logLevel: 'silent',
  });
  return outfile;
}

function runNode(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script], { env, timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

describe('README: TypeScript SDK', () => {
  const [main, live, bundle, page] = readmeBlocks('## TypeScript SDK');

  it('has the blocks this test runs', () => {
    expect([main?.lang, live?.lang, bundle?.lang, page?.lang]).toEqual(['ts', 'ts', 'bash', 'js']);
  });

  it('produces, meets a typed error and consumes as a group', async () => {
    const out = await runNode(await bundleSnippet('sdk', main!.code));
    expect(out).toMatch(/^sent to \d:0 \d:\d \d:\d\n/);
    expect(out).toContain('UNKNOWN_TOPIC_OR_PARTITION 404 false\n');
    const billed = out.split('\n').filter((line) => line.startsWith('billed'));
    expect(billed.sort()).toEqual([
      'billed alice { amount: 10 }',
      'billed bob { amount: 20 }',
      'billed carol { amount: 30 }',
    ]);
  }, 60_000);

  it('streams over the WebSocket and as events in Node', async () => {
    const script = await bundleSnippet('live', live!.code);
    const of = (out: string, kind: string) =>
      out
        .split('\n')
        .filter((line) => line.startsWith(`${kind} `))
        .map((line) => line.replace(/^\w+ \d+:\d+ /, ''))
        .sort();
    const out = await streamUntil(
      process.execPath,
      [script],
      { cwd, env },
      (text) => of(text, 'websocket').length >= 3 && of(text, 'event').length >= 3,
    );
    const amounts = ['{ amount: 10 }', '{ amount: 20 }', '{ amount: 30 }'];
    expect(of(out, 'websocket')).toEqual(amounts);
    expect(of(out, 'event')).toEqual(amounts);
  }, 60_000);

  it('bundles for a page of another origin, where EventSource reads the stream', async () => {
    const site = path.join(cwd, 'site');
    await fsp.mkdir(site);
    await fsp.symlink(path.join(ROOT, 'libs'), path.join(site, 'libs'));
    await fsp.symlink(path.join(ROOT, 'node_modules'), path.join(site, 'node_modules'));
    await bash(bundle!.code, site);
    const publicDir = path.join(site, 'public');
    await fsp.writeFile(path.join(publicDir, 'app.js'), local(page!.code));
    await fsp.writeFile(
      path.join(publicDir, 'index.html'),
      '<!doctype html><body style="white-space: pre"><script type="module" src="./app.js"></script></body>',
    );
    const server = await serveStatic(publicDir, pagePort);
    let browser: Browser | undefined;
    try {
      // Inside: a browser that cannot start must not leave the page server open.
      browser = await launchBrowser();
      const tab = await browser.newPage();
      const errors: string[] = [];
      tab.on('pageerror', (error) => errors.push(error.message));
      // The key as a user's sign-in would leave it: in the tab's sessionStorage.
      await signInKey(tab, env.TRIBUTARY_API_KEY!);
      await tab.goto(`http://127.0.0.1:${pagePort}/index.html`);
      // Three records, one line each (the page's own code, run in the browser).
      await tab.waitForFunction("document.body.textContent.split('\\n').length > 3", null, {
        timeout: 20_000,
      });
      const text = (await tab.textContent('body')) ?? '';
      expect(errors).toEqual([]);
      const values = text
        .split('\n')
        .filter((l) => /^\d+:\d+ /.test(l))
        .map((l) => l.slice(l.indexOf(' ') + 1))
        .sort();
      expect(values).toEqual(['{"amount":10}', '{"amount":20}', '{"amount":30}']);
    } finally {
      await browser?.close();
      server.close();
    }
  }, 90_000);
});

describe('README: CLI', () => {
  it('runs the commands as written', async () => {
    const [commands] = readmeBlocks('## CLI');
    expect(commands?.lang).toBe('bash');
    await fsp.mkdir(path.join(cwd, 'node_modules', '.bin'), { recursive: true });
    await fsp.symlink(
      path.join(ROOT, 'bin', 'tributary.js'),
      path.join(cwd, 'node_modules', '.bin', 'tributary'),
    );
    const cliEnv: NodeJS.ProcessEnv = { ...env, TRIBUTARY_URL: `http://127.0.0.1:${port}` };
    delete cliEnv.TRIBUTARY_API_KEY; // the block sets it
    const out = await bash(`set -e\n${commands!.code}`, cwd, cliEnv);
    const lines = out.split('\n');
    expect(lines[0]).toBe('created topic clicks with 2 partitions');
    expect(lines).toEqual(
      expect.arrayContaining(['0:0 bob {"page":"/docs"}', '1:0 alice {"page":"/"}']),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^\{"page":"\/(docs)?"\}$/));
    expect(lines).toContainEqual(expect.stringMatching(/^group analytics: Empty/));
    expect(lines).toContainEqual(expect.stringMatching(/^clicks\s+[01]\s+1\s+-\s+1\s+0$/));
  }, 60_000);
});

function serveStatic(dir: string, listenPort: number): Promise<http.Server> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };
  const server = http.createServer((req, res) => {
    const file = path.join(dir, path.basename(new URL(req.url ?? '/', 'http://x').pathname));
    if (!fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(listenPort, '127.0.0.1', () => resolve(server)));
}
