// `npm start` builds only when something the build reads changed: the script run in a tree of
// its own whose "build" only counts its runs.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const SCRIPT = path.join(__dirname, '..', 'tools', 'build-if-changed.js');

describe('build if changed', () => {
  let root: string;
  const builds = () =>
    fs.existsSync(path.join(root, 'builds.log'))
      ? fs.readFileSync(path.join(root, 'builds.log'), 'utf8').trim().split('\n').length
      : 0;
  const start = () => execFileSync(process.execPath, [path.join(root, 'tools', 'build.js')]);
  /** Writes a file now, after the last build began. */
  const edit = (file: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), String(Date.now()));
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-build-'));
    for (const dir of [
      'apps/a/src',
      'libs/b/src/generated',
      'bench',
      'test',
      'chaos',
      'prisma',
      'tools',
    ]) {
      fs.mkdirSync(path.join(root, dir), { recursive: true });
    }
    fs.writeFileSync(
      path.join(root, 'package.json'),
      JSON.stringify({ scripts: { build: 'mkdir -p dist && echo built >> builds.log' } }),
    );
    for (const file of ['package-lock.json', '.swcrc', 'tsconfig.json', 'libs/b/src/index.ts'])
      fs.writeFileSync(path.join(root, file), '{}');
    fs.copyFileSync(SCRIPT, path.join(root, 'tools', 'build.js'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('builds the first time, not again for an unchanged tree, and again after an edit', () => {
    start();
    expect(builds()).toBe(1);
    start();
    start();
    expect(builds()).toBe(1);
    edit('libs/b/src/index.ts');
    start();
    expect(builds()).toBe(2);
    edit('apps/a/src/new-file.ts');
    start();
    expect(builds()).toBe(3);
    edit('package-lock.json');
    start();
    expect(builds()).toBe(4);
    // What the build writes itself (the Prisma client it generates) is not an input.
    edit('libs/b/src/generated/client.ts');
    start();
    expect(builds()).toBe(4);
  });

  it('keeps no stamp when the build fails, so the next start tries again', () => {
    fs.writeFileSync(
      path.join(root, 'package.json'),
      JSON.stringify({ scripts: { build: 'exit 3' } }),
    );
    expect(() => start()).toThrow();
    expect(fs.existsSync(path.join(root, 'dist', '.build-stamp'))).toBe(false);
  });
});
