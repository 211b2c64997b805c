// Malformed requests for every operation of an OpenAPI document, drawn from a seeded PRNG: a
// plausible request for the operation (its path parameters, queries and a body built from its
// schema) with one to three things wrong: bad path segments, bad query values, wrong types and
// numbers in the body, bad JSON, deep nesting, wrong content types, bad compressed bodies,
// oversized or malformed headers, a wrong credential, a body cut short.
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import {
  BAD_CONTENT_TYPES,
  BAD_JSON_TEXTS,
  BAD_QUERY_VALUES,
  BAD_SEGMENTS,
  BAD_VALUES,
  DEEP,
  ENCODINGS,
  type Json,
  nestedText,
} from './malformed-values';
import { type RawRequest } from './raw-http';

type Schema = Record<string, any>;
type Document = { paths: Record<string, Record<string, Schema>>; components: Schema };

export interface Operation {
  method: string;
  path: string;
  security: 'operator' | 'apiKey' | 'none';
  parameters: { name: string; in: string }[];
  bodySchema: Schema | undefined;
}

/** What the fuzzer may use as valid values: existing names and ids, and the two credentials. */
export interface Fixtures {
  apiKey: string;
  operator: string;
  /** A valid value per path parameter name (tenant, topic, group, member, id, partition). */
  path: Record<string, string>;
}

export function operationsOf(document: Document): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const security = Object.keys((op.security as Schema[] | undefined)?.[0] ?? {})[0];
      const ref = op.requestBody?.content?.['application/json']?.schema?.$ref as string | undefined;
      operations.push({
        method: method.toUpperCase(),
        path,
        security: security === 'operator' || security === 'apiKey' ? security : 'none',
        parameters: (op.parameters as Operation['parameters'] | undefined) ?? [],
        bodySchema: ref === undefined ? undefined : resolve(document, ref),
      });
    }
  }
  return operations;
}

function resolve(document: Document, ref: string): Schema {
  return document.components.schemas[ref.split('/').pop() as string] as Schema;
}

export class MalformedRequests {
  constructor(
    private readonly random: () => number,
    private readonly fixtures: Fixtures,
  ) {}

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }

  private chance(p: number): boolean {
    return this.random() < p;
  }

  /** One request for `op`, with one to three things wrong; `what` says which, for the report. */
  next(op: Operation): { request: RawRequest; what: string[] } {
    const draft = this.plausible(op);
    const what: string[] = [];
    const count = 1 + Math.floor(this.random() * 3);
    for (let i = 0; i < count; i++) what.push(this.pick(WEIGHTED)(this, draft, op));
    return { request: draft.toRequest(), what };
  }

  private plausible(op: Operation): Draft {
    const draft = new Draft(op.method);
    draft.path = op.path.replace(/\{(\w+)\}/g, (_m, name: string) =>
      // A valid name on a DELETE would remove the fixture the other requests need.
      op.method === 'DELETE' ? `gone-${name}` : (this.fixtures.path[name] ?? 'x'),
    );
    if (op.security !== 'none') {
      const token = op.security === 'operator' ? this.fixtures.operator : this.fixtures.apiKey;
      draft.headers.push(['Authorization', `Bearer ${token}`]);
    }
    if (op.bodySchema !== undefined) draft.json(this.value(op.bodySchema, 0));
    return draft;
  }

  /** A value of the schema's type, sometimes its example. */
  value(schema: Schema, depth: number): Json {
    if (schema.example !== undefined && this.chance(0.5)) return schema.example as Json;
    if (schema.enum !== undefined) return this.pick(schema.enum as Json[]);
    if (schema.$ref !== undefined || depth > 3) return {};
    switch (schema.type) {
      case 'string':
        return this.pick(['f', 'fuzz', 'earliest']);
      case 'number':
      case 'integer':
        return this.pick([0, 1, 2]);
      case 'boolean':
        return true;
      case 'array':
        return [this.value((schema.items as Schema | undefined) ?? {}, depth + 1)];
      default:
        return this.object(schema, depth);
    }
  }

  private object(schema: Schema, depth: number): Json {
    const out: Record<string, Json> = {};
    for (const [name, property] of Object.entries((schema.properties as Schema) ?? {})) {
      if (this.chance(0.7)) out[name] = this.value(property as Schema, depth + 1);
    }
    return out;
  }

  badSegment = () => this.pick(BAD_SEGMENTS);
  badQueryValue = () => this.pick(BAD_QUERY_VALUES);
  badValue = () => this.pick(BAD_VALUES);
  badJsonText = () => this.pick(BAD_JSON_TEXTS);
  badContentType = () => this.pick(BAD_CONTENT_TYPES);
  encoding = () => this.pick(ENCODINGS);
  pickOf = <T>(items: readonly T[]) => this.pick(items);
  coin = (p: number) => this.chance(p);
  get operatorToken() {
    return this.fixtures.operator;
  }
  get apiKey() {
    return this.fixtures.apiKey;
  }
}

/** A request being built: the path, query pairs, headers and body, all replaceable. */
class Draft {
  path = '/';
  query: [string, string][] = [];
  headers: [string, string][] = [];
  body: Buffer | undefined;
  declaredLength: number | undefined;

  constructor(public method: string) {}

  json(value: Json): void {
    this.body = Buffer.from(JSON.stringify(value));
    this.setHeader('Content-Type', 'application/json');
  }

  setHeader(name: string, value: string): void {
    this.headers = this.headers.filter(([n]) => n.toLowerCase() !== name.toLowerCase());
    this.headers.push([name, value]);
  }

  toRequest(): RawRequest {
    const query = this.query.map(([k, v]) => `${k}=${v}`).join('&');
    return {
      method: this.method,
      target: query === '' ? this.path : `${this.path}?${query}`,
      headers: this.headers,
      ...(this.body === undefined ? {} : { body: this.body }),
      ...(this.declaredLength === undefined ? {} : { declaredLength: this.declaredLength }),
    };
  }
}

type Mutation = (m: MalformedRequests, draft: Draft, op: Operation) => string;

/** Replaces one value somewhere inside a JSON value (or the value itself) with `bad`. */
function replaceSomewhere(m: MalformedRequests, value: Json, bad: Json): Json {
  if (value === null || typeof value !== 'object' || m.coin(0.3)) return bad;
  if (Array.isArray(value)) {
    const copy = [...value];
    const index = m.pickOf([...copy.keys(), copy.length]);
    copy[index] = index === copy.length ? bad : replaceSomewhere(m, copy[index] as Json, bad);
    return copy;
  }
  const copy = { ...value };
  const key = m.pickOf([...Object.keys(copy), 'unknownField']);
  copy[key] = key in value ? replaceSomewhere(m, copy[key] as Json, bad) : bad;
  return copy;
}

/** The draft's JSON body to change further; {} when it is not JSON, or nested too deep to copy. */
function parsedBody(draft: Draft): Json {
  if (draft.body !== undefined && draft.body.length > 16 * 1024) return {};
  try {
    return draft.body === undefined ? {} : (JSON.parse(draft.body.toString()) as Json);
  } catch {
    return {};
  }
}

const MORE_OFTEN = ['badBodyValue', 'badQuery', 'badPathSegment', 'badBodyShape'];

const MUTATIONS: Mutation[] = [
  function badPathSegment(m, draft) {
    const segments = draft.path.split('/');
    const bad = m.badSegment();
    segments[m.pickOf([...segments.keys()].slice(1))] = bad;
    draft.path = segments.join('/');
    return `path segment ${JSON.stringify(bad.slice(0, 40))}`;
  },
  function badQuery(m, draft, op) {
    const names = op.parameters.filter((p) => p.in === 'query').map((p) => p.name);
    const name = names.length > 0 && m.coin(0.8) ? m.pickOf(names) : m.pickOf(['x', '%00', '']);
    const value = m.badQueryValue();
    draft.query.push([name, value]);
    if (m.coin(0.2)) draft.query.push([name, value]);
    return `query ${name}=${JSON.stringify(value.slice(0, 40))}`;
  },
  function badBodyValue(m, draft) {
    const bad = m.badValue();
    draft.json(replaceSomewhere(m, parsedBody(draft), bad));
    return `body value ${JSON.stringify(bad)?.slice(0, 40)}`;
  },
  function badBodyShape(m, draft) {
    const shape = m.pickOf<Json>([[], 'text', 42, null, [{}], { records: {} }]);
    draft.json(shape);
    return `body ${JSON.stringify(shape)}`;
  },
  function badJson(m, draft) {
    const text = m.badJsonText();
    draft.body = Buffer.from(text);
    draft.setHeader('Content-Type', 'application/json');
    return `JSON text ${JSON.stringify(text.slice(0, 40))}`;
  },
  function notUtf8(_m, draft) {
    draft.body = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0xc0, 0x22, 0x7d]);
    draft.setHeader('Content-Type', 'application/json');
    return 'body not UTF-8';
  },
  function wrongContentType(m, draft) {
    const type = m.badContentType();
    if (draft.body === undefined) draft.body = Buffer.from('{}');
    draft.setHeader('Content-Type', type);
    return `Content-Type ${JSON.stringify(type)}`;
  },
  function badCompression(m, draft) {
    const encoding = m.encoding();
    const plain = draft.body ?? Buffer.from('{}');
    const compress = m.pickOf([
      () => Buffer.from('not compressed at all'),
      () => gzipSync(plain).subarray(0, 12),
      () => gzipSync(Buffer.from(`{"records":[{"value":${nestedText(DEEP)}}]}`)),
      () => deflateSync(Buffer.from('{"a":')),
      () => brotliCompressSync(plain).subarray(1),
    ]);
    draft.body = compress();
    draft.setHeader('Content-Encoding', encoding);
    if (!draft.headers.some(([n]) => n === 'Content-Type')) {
      draft.setHeader('Content-Type', 'application/json');
    }
    return `Content-Encoding ${encoding}`;
  },
  function oversizedHeader(m, draft) {
    const size = m.pickOf([17_000, 40_000]);
    draft.headers.push(['X-Fuzz', 'h'.repeat(size)]);
    return `header of ${size} bytes`;
  },
  function badHeaderBytes(m, draft) {
    const header = m.pickOf<[string, string]>([
      ['X-Fuzz', 'a\x01b'],
      ['X Fuzz', '1'],
      ['X-Fuzz', '\x7f'],
      ['Idempotency-Key', 'k'.repeat(300)],
      ['Idempotency-Key', 'with space'],
      ['Last-Event-ID', '0:-5,x:y'],
      ['Last-Event-ID', '9'.repeat(400)],
      ['X-Request-Id', '\xe9\xe9'],
      ['Transfer-Encoding', 'chunked, gzip'],
    ]);
    draft.headers.push(header);
    return `header ${JSON.stringify(header[0])}: ${JSON.stringify(header[1].slice(0, 20))}`;
  },
  function badCredential(m, draft) {
    const value = m.pickOf([
      undefined,
      'Bearer nope',
      'Bearer ',
      `Bearer ${'t'.repeat(5_000)}`,
      `Bearer ${m.operatorToken}`,
      `Bearer ${m.apiKey}`,
      'Basic YTpi',
    ]);
    draft.headers = draft.headers.filter(([n]) => n !== 'Authorization');
    if (value !== undefined) draft.headers.push(['Authorization', value]);
    return `Authorization ${JSON.stringify(value?.slice(0, 20))}`;
  },
  function bodyCutShort(m, draft) {
    const body = draft.body ?? Buffer.from('{"a":1}');
    draft.body = body.subarray(0, Math.floor(body.length / 2));
    draft.declaredLength = body.length + m.pickOf([1, 1_000]);
    if (!draft.headers.some(([n]) => n === 'Content-Type')) {
      draft.setHeader('Content-Type', 'application/json');
    }
    return `body cut short (${draft.body.length} of ${draft.declaredLength} bytes)`;
  },
  function manyQueryParameters(m, draft) {
    const count = m.pickOf([200, 2_000]);
    for (let i = 0; i < count; i++) draft.query.push([`p${i}`, String(i)]);
    return `${count} query parameters`;
  },
  function otherMethod(m, draft) {
    // Not DELETE: on a valid path it would remove a fixture.
    draft.method = m.pickOf(['PUT', 'PATCH', 'OPTIONS', 'HEAD', 'POST', 'GET', 'TRACE']);
    return `method ${draft.method}`;
  },
];

/**
 * The mutations as drawn: those that reach past the parser and the auth check into the routes
 * (values, queries, path segments) come up more often than those refused at the door.
 */
const WEIGHTED: Mutation[] = MUTATIONS.flatMap((mutation) =>
  Array<Mutation>(MORE_OFTEN.includes(mutation.name) ? 3 : 1).fill(mutation),
);
