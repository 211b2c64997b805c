import { resolveTopicConfig, TOPIC_CONFIG_DEFAULTS, validateTopicConfigs } from './topic-config';

describe('topic configs', () => {
  it('keeps only what was set, as strings, and resolves over the defaults', () => {
    const stored = validateTopicConfigs({ 'retention.ms': 60000, durability: 'replicated' });
    expect(stored).toEqual({ 'retention.ms': '60000', durability: 'replicated' });
    expect(resolveTopicConfig(stored)).toEqual({
      ...TOPIC_CONFIG_DEFAULTS,
      'retention.ms': 60000,
      durability: 'replicated',
    });
  });

  it.each([
    [{ 'retention.ms': 0 }, /retention.ms must be -1 or a positive integer/],
    [{ 'retention.ms': '1.5' }, /retention.ms/],
    [{ 'retention.bytes': -2 }, /retention.bytes/],
    [{ 'segment.bytes': 13 }, /segment.bytes/],
    [{ 'segment.bytes': 2 ** 31 }, /segment.bytes/],
    [{ 'segment.ms': 0 }, /segment.ms/],
    [{ 'max.message.bytes': 10 }, /max.message.bytes/],
    [{ 'cleanup.policy': 'compact' }, /cleanup.policy/],
    [{ 'min.insync.replicas': 0 }, /min.insync.replicas/],
    [{ durability: 'none' }, /durability/],
    [{ 'flush.ms': 0 }, /flush.ms/],
    [{ 'unknown.setting': 1 }, /unknown topic setting/],
    [{ 'retention.ms': true }, /string or a number/],
    [[], /must be an object/],
    ['retention.ms=1', /must be an object/],
  ])('refuses %j', (input, message) => {
    expect(() => validateTopicConfigs(input)).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringMatching(message) }),
    );
  });
});
