// The client bundles for browsers as it is: no Node built-ins, nothing from the server's code.
import * as path from 'node:path';
import { build } from 'esbuild';

it('bundles for the browser with esbuild', async () => {
  const result = await build({
    entryPoints: [path.join(__dirname, 'index.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  expect(result.errors).toEqual([]);
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.every((input) => input.includes('libs/client/src/'))).toBe(true);
  expect(result.outputFiles[0]!.text).toMatch(/export \{[^}]*TributaryClient/);
});
