// The session deadline formula, the one every group call and view uses.
import {
  heartbeatIntervalMs,
  isExpired,
  lastHeartbeatMs,
  nextExpiryMs,
  renewedDeadlineMs,
  sessionDeadlineMs,
} from './member-session';

const member = (memberId: string, joinedAtMs = 1_000, sessionTimeoutMs = 10_000) => ({
  memberId,
  joinedAtMs,
  sessionTimeoutMs,
});

describe('member session', () => {
  test('a call renews the session to run out a session timeout after the call may end', () => {
    expect(renewedDeadlineMs(member('a'), 50_000)).toBe(60_000);
    expect(renewedDeadlineMs(member('a'), 50_000, 15_000)).toBe(75_000);
    expect(() => renewedDeadlineMs(member('a'), 50_000, -1)).toThrow(/non-negative/);
  });

  test('the deadline is the liveness entry, else the join plus the session timeout', () => {
    const liveness = new Map([['a', 42_000]]);
    expect(sessionDeadlineMs(member('a'), liveness)).toBe(42_000);
    expect(sessionDeadlineMs(member('b'), liveness)).toBe(11_000);
  });

  test('a session has run out only once its deadline is past', () => {
    const liveness = new Map([['a', 42_000]]);
    expect(isExpired(member('a'), liveness, 42_000)).toBe(false);
    expect(isExpired(member('a'), liveness, 42_001)).toBe(true);
  });

  test('the last heartbeat is read back from the deadline, never later than now', () => {
    const liveness = new Map([['a', 42_000]]);
    expect(lastHeartbeatMs(member('a'), liveness, 40_000)).toBe(32_000);
    // A poll waiting renewed it past now: the call is under way now.
    expect(lastHeartbeatMs(member('a'), liveness, 30_000)).toBe(30_000);
  });

  test("the next expiry is the first other member's deadline, plus one", () => {
    const liveness = new Map([
      ['self', 5_000],
      ['a', 30_000],
      ['b', 20_000],
    ]);
    const members = [member('self'), member('a'), member('b')];
    expect(nextExpiryMs(members, liveness, 'self', 15_000)).toBe(5_001);
    expect(nextExpiryMs(members, liveness, 'self', 25_000)).toBe(1);
    expect(nextExpiryMs([member('self')], liveness, 'self', 0)).toBeUndefined();
  });

  test('members are told to call three times per session, at most every 100 ms', () => {
    expect(heartbeatIntervalMs(30_000)).toBe(10_000);
    expect(heartbeatIntervalMs(1_000)).toBe(333);
    expect(heartbeatIntervalMs(200)).toBe(100);
  });
});
