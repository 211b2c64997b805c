// `npm start`: one standalone node. Configuration comes from the environment (see
// libs/common config.ts); SIGTERM and SIGINT drain and stop it cleanly.
import { inspect } from 'node:util';
import { ConfigError, loadNodeConfig } from '@tributary/common';
import pino from 'pino';
import { startNode } from './node';

async function main(): Promise<void> {
  let config;
  try {
    config = loadNodeConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`tributary: bad configuration: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = pino({
    level: config.logLevel,
    base: { node: config.nodeId },
    redact: ['req.headers.authorization', 'token', 'key'],
  });
  let stopping = false;
  const node = await startNode(config, {
    logger,
    onFatal: (error) => {
      logger.fatal({ err: error }, 'invariant broken; stopping');
      void stop(1);
    },
  });
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await node.close();
    process.exit(code);
  };
  process.once('SIGTERM', () => void stop(0));
  process.once('SIGINT', () => void stop(0));
}

main().catch((error: unknown) => {
  // inspect shows the causes too: an UNAVAILABLE names no host, the driver's error under it does.
  process.stderr.write(`tributary: failed to start: ${inspect(error)}\n`);
  process.exit(1);
});
