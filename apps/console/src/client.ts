// The node's HTTP API as the console calls it: @tributary/client, on the origin the console was
// served from, with the tenant API key in the Authorization header only (never in a URL). Every
// refusal is the client's TributaryError, carrying the problem's stable code and its detail.
import { type FetchFunction, TributaryClient } from '@tributary/client';

/**
 * The browser's fetch, keeping no answer in its cache, sending no cookie, and following no
 * redirect (a call that carries the key goes to the node that served the page, nowhere else).
 */
const pageFetch: FetchFunction = (input, init) =>
  fetch(input, { ...init, cache: 'no-store', credentials: 'omit', redirect: 'error' });

export function consoleClient(apiKey: string): TributaryClient {
  return new TributaryClient({ url: location.origin, apiKey, fetch: pageFetch });
}
