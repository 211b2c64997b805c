import { Coalesced } from './coalesced';

describe('Coalesced', () => {
  it('runs once more after the running run when asked meanwhile, however often', async () => {
    let runs = 0;
    let release!: () => void;
    const task = new Coalesced(async () => {
      runs += 1;
      if (runs === 1) await new Promise<void>((resolve) => (release = resolve));
      return runs;
    });
    const first = task.run();
    const second = task.run();
    const third = task.run();
    expect(task.busy).toBe(true);
    release();
    expect(await Promise.all([first, second, third])).toEqual([2, 2, 2]);
    expect(runs).toBe(2);
    expect(await task.run()).toBe(3);
    expect(task.busy).toBe(false);
  });

  it('lets the next ask run after a failed run', async () => {
    let fail = true;
    const task = new Coalesced(async () => {
      if (fail) throw new Error('down');
      return 'ok';
    });
    await expect(task.run()).rejects.toThrow('down');
    fail = false;
    expect(await task.run()).toBe('ok');
  });
});
