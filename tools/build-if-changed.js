#!/usr/bin/env node
// `npm start` and `npm run cluster` build first, but only when something the build reads has
// changed since the last build: a start of an unchanged tree goes straight to the node. The
// build's inputs are the source trees and the files that configure it; dist/.build-stamp holds
// the time the last successful build began, so an edit made during a build is seen next time.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const STAMP = path.join(ROOT, 'dist', '.build-stamp');
const INPUTS = ['apps', 'libs', 'bench', 'test', 'chaos', 'prisma'];
const CONFIG = ['package.json', 'package-lock.json', '.swcrc', 'tsconfig.json'];
/** Generated or produced by the build itself: not inputs. */
const SKIP = new Set(['node_modules', 'generated', 'results']);

/** The newest modification time under `dir`, in ms; stops early once past `than`. */
function newest(dir, than) {
  let latest = 0;
  const pending = [dir];
  while (pending.length > 0 && latest <= than) {
    const current = pending.pop();
    let entries;
    try {
      entries = fs.readdirSync(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (!SKIP.has(entry.name)) pending.push(full);
      } else {
        latest = Math.max(latest, fs.statSync(full).mtimeMs);
      }
    }
    latest = Math.max(latest, fs.statSync(current).mtimeMs); // a file removed or renamed
  }
  return latest;
}

function builtAt() {
  try {
    return Number(fs.readFileSync(STAMP, 'utf8'));
  } catch {
    return 0;
  }
}

const since = builtAt();
const changed =
  since === 0 ||
  CONFIG.some((file) => fs.statSync(path.join(ROOT, file)).mtimeMs > since) ||
  INPUTS.some((dir) => newest(path.join(ROOT, dir), since) > since);
if (changed) {
  const started = Date.now();
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  fs.writeFileSync(STAMP, String(started));
}
