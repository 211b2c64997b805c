// Runs a few lines of ES-module JavaScript in a plain Node.js process, from the repository root,
// and returns what they print. The OpenAPI tools (@redocly/openapi-core, openapi-typescript)
// ship as ES modules, which Jest's CommonJS sandbox cannot load on Node.js 20.
import { execFile } from 'node:child_process';
import { findRepoRoot } from '@tributary/metadata';

const TIMEOUT_MS = 60_000;
const OUTPUT_BYTES_MAX = 64 * 1024 * 1024;

export function runEsm(source: string, args: readonly string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', source, '--', ...args],
      { cwd: findRepoRoot(), timeout: TIMEOUT_MS, maxBuffer: OUTPUT_BYTES_MAX },
      (error, stdout, stderr) => {
        if (error === null) resolve(stdout);
        else reject(new Error(`${error.message}\n${stderr}`));
      },
    );
  });
}
