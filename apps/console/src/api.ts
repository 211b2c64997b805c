// The node's HTTP API as the console calls it: on the origin the console was served from, with
// the tenant API key in the Authorization header only (never in a URL), and every refusal as
// an ApiError carrying the problem's stable code and its detail.
import type {
  Cluster,
  Group,
  GroupSummary,
  ProducedOffset,
  ProduceRecord,
  Topic,
  TopicSummary,
} from './api-types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export class Api {
  constructor(private readonly key: string) {}

  topics(signal?: AbortSignal): Promise<TopicSummary[]> {
    return this.call<{ topics: TopicSummary[] }>('GET', '/v1/topics', undefined, signal).then(
      (answer) => answer.topics,
    );
  }

  topic(name: string, signal?: AbortSignal): Promise<Topic> {
    return this.call('GET', `/v1/topics/${segment(name)}`, undefined, signal);
  }

  createTopic(body: {
    name: string;
    partitions: number;
    replicationFactor: number;
    configs?: Record<string, string>;
  }): Promise<Topic> {
    return this.call('POST', '/v1/topics', body);
  }

  alterTopic(
    name: string,
    body: { partitions?: number; configs?: Record<string, string | null> },
  ): Promise<Topic> {
    return this.call('PATCH', `/v1/topics/${segment(name)}`, body);
  }

  produce(
    topic: string,
    valueFormat: 'json' | 'string',
    records: ProduceRecord[],
  ): Promise<ProducedOffset[]> {
    return this.call<{ offsets: ProducedOffset[] }>(
      'POST',
      `/v1/topics/${segment(topic)}/records`,
      { keyFormat: 'string', valueFormat, records },
    ).then((answer) => answer.offsets);
  }

  groups(signal?: AbortSignal): Promise<GroupSummary[]> {
    return this.call<{ groups: GroupSummary[] }>('GET', '/v1/groups', undefined, signal).then(
      (answer) => answer.groups,
    );
  }

  group(name: string, signal?: AbortSignal): Promise<Group> {
    return this.call('GET', `/v1/groups/${segment(name)}`, undefined, signal);
  }

  cluster(signal?: AbortSignal): Promise<Cluster> {
    return this.call('GET', '/v1/cluster', undefined, signal);
  }

  /** A single-use ticket that opens one WebSocket within a minute. */
  ticket(): Promise<string> {
    return this.call<{ ticket: string }>('POST', '/v1/ws/tickets').then((answer) => answer.ticket);
  }

  private async call<T>(
    method: Method,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
        redirect: 'error',
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      if (signal?.aborted === true) throw error;
      throw new ApiError(0, 'NETWORK', `the node did not answer (${String(error)})`);
    }
    if (response.ok) return (response.status === 204 ? undefined : await response.json()) as T;
    throw await problemOf(response);
  }
}

/** The problem+json a refusal carries, or what can be said without one. */
async function problemOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const problem = JSON.parse(text) as { code?: unknown; detail?: unknown; title?: unknown };
    if (typeof problem.code === 'string') {
      const detail = typeof problem.detail === 'string' ? problem.detail : String(problem.title);
      return new ApiError(response.status, problem.code, detail);
    }
  } catch {
    // not problem+json: described below
  }
  return new ApiError(response.status, `HTTP_${response.status}`, response.statusText);
}

function segment(name: string): string {
  return encodeURIComponent(name);
}
