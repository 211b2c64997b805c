// One bounded JSON call to a node, that never throws: a call that got no answer (refused,
// reset, timed out) is status 0 with the error's name as its code, so clients record it as it
// happened and go on.

export interface Reply {
  /** HTTP status; 0: no answer. */
  status: number;
  body: any;
  /** The problem's code for an error answer, the error's name when no answer came. */
  code?: string;
  retriable: boolean;
}

export async function call(
  url: string,
  method: string,
  route: string,
  token: string,
  options: { body?: unknown; headers?: Record<string, string>; timeoutMs: number },
): Promise<Reply> {
  try {
    const response = await fetch(url + route, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const text = await response.text();
    let body: any;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = { detail: text.slice(0, 200) };
    }
    const ok = response.status < 300;
    return {
      status: response.status,
      body,
      ...(ok ? {} : { code: String(body?.code ?? response.status) }),
      retriable: !ok && (body?.retriable === true || response.status >= 500),
    };
  } catch (error) {
    const name =
      error instanceof Error ? ((error.cause as Error | undefined)?.name ?? error.name) : 'Error';
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { status: 0, body: undefined, code: cause ?? name, retriable: true };
  }
}

/** A record value as the checker compares it: a JSON string as itself, anything else as JSON. */
export function valueText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
