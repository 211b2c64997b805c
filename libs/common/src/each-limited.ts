// Runs an async step over many items with a bound on how many run at once: enough in flight
// to keep the disk and the thread pool busy (a node recovering 1,000 partitions one by one
// spent most of its start waiting on each file operation in turn), never an unbounded fan-out.

/**
 * Calls `step` for every item, at most `limit` at a time. After the first failure no new step
 * starts; the ones running finish, then the first error is thrown.
 */
export async function eachLimited<T>(
  items: Iterable<T>,
  limit: number,
  step: (item: T) => Promise<void>,
): Promise<void> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be >= 1: ${limit}`);
  const iterator = items[Symbol.iterator]();
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (failure !== undefined) return;
      const next = iterator.next();
      if (next.done === true) return;
      try {
        await step(next.value);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  if (failure !== undefined) throw failure.error;
}
