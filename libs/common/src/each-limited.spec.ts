import { eachLimited } from './each-limited';

/** A step whose calls stay pending until released, recording how many run at once. */
function gatedSteps() {
  const pending: (() => void)[] = [];
  let running = 0;
  let most = 0;
  const done: number[] = [];
  const step = (item: number) =>
    new Promise<void>((resolve) => {
      running++;
      most = Math.max(most, running);
      pending.push(() => {
        running--;
        done.push(item);
        resolve();
      });
    });
  const releaseAll = async () => {
    // Each release lets a worker take its next item; bounded by the items given.
    for (let i = 0; i < 100 && pending.length > 0; i++) {
      pending.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { step, releaseAll, most: () => most, done };
}

describe('eachLimited', () => {
  it('runs every item, never more than the limit at once', async () => {
    const gate = gatedSteps();
    const all = eachLimited([1, 2, 3, 4, 5, 6, 7], 3, gate.step);
    await new Promise((resolve) => setImmediate(resolve));
    expect(gate.most()).toBe(3);
    await gate.releaseAll();
    await all;
    expect(gate.done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(gate.most()).toBe(3);
  });

  it('starts nothing new after a failure, lets the running ones finish, then throws the first error', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    let releaseTwo!: () => void;
    const twoMayFinish = new Promise<void>((resolve) => (releaseTwo = resolve));
    let signalFailed!: () => void;
    const oneHasFailed = new Promise<void>((resolve) => (signalFailed = resolve));
    const all = eachLimited([1, 2, 3, 4, 5], 2, async (item) => {
      started.push(item);
      if (item === 1) {
        // Runs once the rejection below has been taken in (after every pending microtask).
        setImmediate(signalFailed);
        throw new Error('one failed');
      }
      if (item === 2) await twoMayFinish;
      finished.push(item);
    });
    await oneHasFailed;
    expect(finished).toEqual([]); // 2 still running when 1 failed
    releaseTwo();
    await expect(all).rejects.toThrow('one failed');
    expect(started).toEqual([1, 2]);
    expect(finished).toEqual([2]);
  });

  it('refuses a limit below one', async () => {
    await expect(eachLimited([1], 0, async () => {})).rejects.toThrow(RangeError);
  });
});
