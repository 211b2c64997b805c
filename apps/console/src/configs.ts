// Topic settings typed as text, one `name=value` a line.

/** The settings a topic takes (docs/API.md), offered as hints. */
export const TOPIC_CONFIG_NAMES = [
  'retention.ms',
  'retention.bytes',
  'segment.bytes',
  'segment.ms',
  'max.message.bytes',
  'cleanup.policy',
  'min.insync.replicas',
  'durability',
  'flush.ms',
] as const;

/** `name=value` lines (blank lines skipped); throws naming the first line that is not one. */
export function parseConfigLines(text: string): Record<string, string> {
  const configs: Record<string, string> = {};
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const equals = line.indexOf('=');
    if (equals <= 0) throw new Error(`Line ${index + 1}: write a setting as name=value.`);
    configs[line.slice(0, equals).trim()] = line.slice(equals + 1).trim();
  });
  return configs;
}
