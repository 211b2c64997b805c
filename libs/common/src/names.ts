// The rule for the free-form names the API takes and then stores or echoes: API key names,
// consumer group ids, permission patterns and record header keys (tenant and topic names have
// stricter patterns of their own). A name is 1 to N characters (code points, as Postgres counts
// them) of well-formed Unicode without control characters: Postgres text cannot hold NUL, an
// unpaired surrogate has no UTF-8 form (it would be stored as something else than was sent),
// and control characters corrupt logs and terminals and are never what a user meant.
import { BrokerError, type ErrorCode } from './errors';

/** C0 and C1 controls and DEL (Unicode's Cc), and unpaired surrogates (Cs, in a u-regexp). */
const FORBIDDEN = /[\p{Cc}\p{Cs}]/u;

export function isValidName(name: string, lengthMax: number): boolean {
  if (name.length === 0 || FORBIDDEN.test(name)) return false;
  if (name.length <= lengthMax) return true;
  let characters = 0;
  for (const _ of name) if (++characters > lengthMax) return false;
  return true;
}

/** The rule as an error message says it, after what is named ("group id must be ..."). */
export function nameRule(lengthMax: number): string {
  return (
    `must be 1-${lengthMax} characters of well-formed Unicode ` +
    'without control characters (U+0000-U+001F, U+007F-U+009F)'
  );
}

/** Throws `code` (400 INVALID_REQUEST by default) naming `what` when `name` breaks the rule. */
export function checkName(
  name: string,
  what: string,
  lengthMax: number,
  code: ErrorCode = 'INVALID_REQUEST',
): void {
  if (!isValidName(name, lengthMax)) throw new BrokerError(code, `${what} ${nameRule(lengthMax)}`);
}
