// How deep a parsed JSON value nests. JSON.parse takes any depth, but JSON.stringify and every
// other recursive walk overflow the stack a few thousand levels down, so input is measured here,
// without recursion, before anything recurses over it.
import { BrokerError, type ErrorCode, LIMITS } from '@tributary/common';

/**
 * Whether `value` nests arrays and objects more than `max` levels: `1` and `"a"` nest 0 levels,
 * `[1]` and `{}` one, `{"a": [1]}` two. Stops at the first path past `max`.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const nodes: object[] = [value];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop() as object;
    const depth = depths.pop() as number;
    if (depth > max) return true;
    const children: unknown[] = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        nodes.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

/** The error for JSON nested past LIMITS.jsonDepthMax; `what` names it ("the body", "records[3]: value"). */
export function tooDeep(what: string, code: ErrorCode = 'INVALID_REQUEST'): BrokerError {
  return new BrokerError(
    code,
    `${what} nests more than ${LIMITS.jsonDepthMax} levels of arrays and objects`,
  );
}
