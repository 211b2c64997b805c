import * as fs from 'node:fs';
import * as path from 'node:path';

/** Path of a compiled script under dist/ (built by `npm test` before Jest starts). */
export function distScript(relative: string): string {
  // From test/support (Jest) or from dist/test/support (a compiled bench): the repository root.
  const root = path.join(
    __dirname,
    '..',
    '..',
    ...(path.basename(path.join(__dirname, '..', '..')) === 'dist' ? ['..'] : []),
  );
  const file = path.join(root, 'dist', relative);
  if (!fs.existsSync(file)) {
    throw new Error(
      `${file} is missing: run \`npm run build\` (npm test does it) before this test`,
    );
  }
  return file;
}
