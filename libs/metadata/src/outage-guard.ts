// Where Postgres outages become UNAVAILABLE, once for the whole client, so that no repository
// needs a catch of its own: every operation (model queries and raw SQL, inside interactive
// transactions too) through a query extension, and $transaction itself, whose start, COMMIT
// and ROLLBACK no operation surrounds. Prisma has wrapped the driver's error by then (or left
// it as it was); outage-errors.ts knows every shape. Each outage is also reported, so that the
// store can reload its cache once the database is back (a write whose answer was lost may have
// committed). Errors that are not outages (a unique violation, a bad query) pass untouched.
import { type BrokerError } from '@tributary/common';
import { type PrismaClient } from './generated/prisma/client';
import { metadataOutage } from './outage-errors';

export type OutageListener = (error: BrokerError) => void;

/**
 * The client with outages rethrown as UNAVAILABLE. The extension changes no operation's
 * arguments or results, so the extended client is still a PrismaClient in shape.
 */
export function guardClient(prisma: PrismaClient, onOutage: OutageListener): PrismaClient {
  const convert = (error: unknown): unknown => {
    const outage = metadataOutage(error);
    if (outage === undefined) return error;
    onOutage(outage);
    return outage;
  };
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the extended client as this
  const transaction = prisma.$transaction as (...args: unknown[]) => Promise<unknown>;
  const extended = prisma.$extends({
    query: {
      async $allOperations({ args, query }) {
        try {
          const result: unknown = await query(args);
          return result;
        } catch (error) {
          throw convert(error);
        }
      },
    },
    client: {
      // Prisma's own $transaction, called on the extended client so that the transaction's
      // client carries the query extension too.
      async $transaction(...args: unknown[]): Promise<unknown> {
        try {
          return await transaction.apply(this, args);
        } catch (error) {
          throw convert(error);
        }
      },
    },
  });
  return extended as unknown as PrismaClient;
}
