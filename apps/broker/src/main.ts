// `npm start`: one standalone node. Configuration comes from the environment (see
// libs/common config.ts); SIGTERM and SIGINT drain and stop it cleanly.
// First: its V8 flags apply to the WebAssembly that the rest compiles.
import './v8-flags';
import { inspect } from 'node:util';
import { ConfigError, isBrokerError, loadNodeConfig } from '@tributary/common';
import pino, { type Logger } from 'pino';
import { type RunningNode, startNode } from './node';

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
  const node = await startWhenServicesAnswer(logger, () =>
    startNode(config, {
      logger,
      onFatal: (error) => {
        logger.fatal({ err: error }, 'invariant broken; stopping');
        void stop(1);
      },
    }),
  );
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await node.close();
    process.exit(code);
  };
  process.once('SIGTERM', () => void stop(0));
  process.once('SIGINT', () => void stop(0));
}

/** How long a node keeps trying to start while Postgres or Redis does not answer. */
const START_RETRY_MS = 5 * 60_000;

/**
 * Starts the node, again after a second each time Postgres or Redis was unavailable (a start
 * that fails undoes itself, the data dir lock included), for at most START_RETRY_MS: a node
 * restarted during an outage of either comes up when it ends, instead of exiting.
 */
async function startWhenServicesAnswer(
  logger: Logger,
  start: () => Promise<RunningNode>,
): Promise<RunningNode> {
  const deadline = performance.now() + START_RETRY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (!isBrokerError(error, 'UNAVAILABLE') || performance.now() > deadline) throw error;
      logger.warn(
        { err: error, attempt },
        'a service the node needs is unavailable; starting again in 1 s',
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

main().catch((error: unknown) => {
  // inspect shows the causes too: an UNAVAILABLE names no host, the driver's error under it does.
  process.stderr.write(`tributary: failed to start: ${inspect(error)}\n`);
  process.exit(1);
});
