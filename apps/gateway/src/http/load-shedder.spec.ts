import { LoadShedder } from './load-shedder';

describe('LoadShedder', () => {
  let shedder: LoadShedder;
  afterEach(() => shedder.close());

  it('lets a tenant alone take the whole bound, then answers 503 with Retry-After', () => {
    shedder = new LoadShedder({ workInFlightMax: 4, workInFlightMin: 1 });
    const releases = [1, 2, 3, 4].map(() => shedder.admit('a'));
    expect(() => shedder.admit('a')).toThrow(
      expect.objectContaining({ code: 'UNAVAILABLE', extra: { retryAfterSeconds: 1 } }),
    );
    releases[0]!();
    releases[0]!(); // a second release changes nothing
    expect(shedder.workInFlight).toBe(3);
    expect(() => shedder.admit('a')).not.toThrow();
  });

  it('keeps a share for a second tenant once the node is half full', () => {
    shedder = new LoadShedder({ workInFlightMax: 8, workInFlightMin: 1 });
    shedder.admit('quiet'); // the quiet tenant is sending too
    const flood: (() => void)[] = [];
    for (let i = 0; i < 3; i++) flood.push(shedder.admit('flood'));
    // Four of eight in flight: the flooder is at its share (8 / 2 tenants) and is refused.
    flood.push(shedder.admit('flood'));
    expect(() => shedder.admit('flood')).toThrow(
      expect.objectContaining({ code: 'QUOTA_EXCEEDED' }),
    );
    // The quiet tenant still gets in, up to its own share, which fills the node.
    for (let i = 0; i < 3; i++) shedder.admit('quiet');
    expect(() => shedder.admit('quiet')).toThrow(
      expect.objectContaining({ code: 'QUOTA_EXCEEDED' }),
    );
    // A third tenant, under its share, meets a full node.
    expect(() => shedder.admit('third')).toThrow(expect.objectContaining({ code: 'UNAVAILABLE' }));
    expect(shedder.shed).toBe(3);
  });
});
