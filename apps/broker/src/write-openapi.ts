// `npm run openapi`: writes the gateway's OpenAPI document to openapi/openapi.json. The document
// is generated from the code by a throwaway node (embedded metadata, temporary data dir).
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadNodeConfig } from '@tributary/common';
import { findRepoRoot } from '@tributary/metadata';
import pino from 'pino';
import { startNode } from './node';

export function openApiText(document: unknown): string {
  return JSON.stringify(document, null, 2) + '\n';
}

async function main(): Promise<void> {
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-openapi-'));
  try {
    const node = await startNode(
      loadNodeConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir }),
      { logger: pino({ level: 'silent' }) },
    );
    const text = openApiText(node.gateway.document);
    await node.close();
    const file = path.join(findRepoRoot(), 'openapi', 'openapi.json');
    await fsp.writeFile(file, text);
    process.stdout.write(`wrote ${file}\n`);
  } finally {
    await fsp.rm(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
