// For tests and tools that must wait for a state with no event to hook: checks `condition`
// after every turn of the event loop (and at least every few milliseconds) until it holds, and
// fails naming `what` once `timeoutMs` has passed. Never an unbounded loop.
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (let round = 0; !(await condition()); round++) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => (round < 100 ? setImmediate(resolve) : setTimeout(resolve, 5)));
  }
}
