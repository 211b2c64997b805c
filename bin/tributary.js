#!/usr/bin/env node
// `npx tributary …`: runs the CLI compiled by `npm run build` (apps/cli/src -> dist/).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const main = path.join(root, 'dist', 'apps', 'cli', 'src', 'main.js');
if (!fs.existsSync(main)) {
  process.stderr.write(
    `tributary: the CLI is not built (${main} is missing): run \`npm run build\` in ${root}\n`,
  );
  process.exit(1);
}
require(main);
