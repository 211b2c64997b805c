import * as fs from 'node:fs';
import * as path from 'node:path';

/** Path of a compiled script under dist/ (built by `npm test` before Jest starts). */
export function distScript(relative: string): string {
  const file = path.join(__dirname, '..', '..', 'dist', relative);
  if (!fs.existsSync(file)) {
    throw new Error(
      `${file} is missing: run \`npm run build\` (npm test does it) before this test`,
    );
  }
  return file;
}
