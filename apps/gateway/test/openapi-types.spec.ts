// Types generated from the committed openapi/openapi.json by openapi-typescript describe the API
// as it is: TypeScript written against them with no casts compiles, every request body the
// README sends and docs/API.md's produce body included as they are written there, and code that
// breaks the schemas (a partition given as a string, a record without a value, an unknown
// format) does not.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findRepoRoot } from '@tributary/metadata';
import * as ts from 'typescript';
import { runEsm } from './node-esm';

const GENERATE = `
import openapiTS, { astToString } from 'openapi-typescript';
import { pathToFileURL } from 'node:url';
const ast = await openapiTS(pathToFileURL(process.argv[1]));
process.stdout.write(astToString(ast));
`;

const COMPILER_OPTIONS: ts.CompilerOptions = {
  strict: true,
  noUncheckedIndexedAccess: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  lib: ['lib.es2023.d.ts'],
  types: [],
};

const root = findRepoRoot();

interface Document {
  paths: Record<string, Record<string, { operationId: string }>>;
}

/** Every request body README.md sends with curl, with the operation it is sent to. */
function readmeBodies(document: Document): { operationId: string; body: string }[] {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const found: { operationId: string; body: string }[] = [];
  for (const [, method, url, body] of readme.matchAll(
    /curl -s -X (POST|PATCH|PUT) [^\s/]+(\/\S*) .*? -d '([^']+)'/g,
  )) {
    const route = Object.keys(document.paths).find((template) =>
      new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`).test(url!),
    );
    const operation =
      route === undefined ? undefined : document.paths[route]?.[method!.toLowerCase()];
    if (operation === undefined)
      throw new Error(`README.md sends ${method} ${url}: no such operation`);
    found.push({ operationId: operation.operationId, body: body! });
  }
  return found;
}

/** The produce body of docs/API.md, the first JSON block after "## Produce". */
function contractProduceBody(): string {
  const contract = fs.readFileSync(path.join(root, 'docs', 'API.md'), 'utf8');
  const body = /## Produce[\s\S]*?```json\n([\s\S]*?)```/.exec(contract)?.[1];
  if (body === undefined) throw new Error("docs/API.md's produce body was not found");
  return body;
}

const HEADER = `import type { components, operations } from './api';

type RequestBody<K extends keyof operations> = NonNullable<
  operations[K]['requestBody']
>['content']['application/json'];
type ProduceBody = RequestBody<'produceRecords'>;
type FetchParameters = operations['fetchRecords']['parameters'];
`;

/** Uses the types the way a client does; compiles without a diagnostic. */
function usage(readme: { operationId: string; body: string }[]): string {
  const bodies = readme.map(
    ({ operationId, body }, i) =>
      `export const readme${i}: RequestBody<'${operationId}'> = ${body};`,
  );
  return `${HEADER}
// Every request body README.md sends, and docs/API.md's produce body, exactly as written there.
${bodies.join('\n')}
export const contract: ProduceBody = ${contractProduceBody()};

// Any JSON value, a tombstone, base64 values, and headers as a list with repeated keys.
export const varied: ProduceBody = {
  valueFormat: 'binary',
  records: [
    { key: 7, value: [1, 'two', { three: 3 }], headers: { trace: null } },
    { key: null, value: null },
    { value: 'AAECAwQ=', headers: [{ key: 'hop', value: 'a' }, { key: 'hop', value: 'b' }] },
  ],
};

export const fetchParameters: FetchParameters = {
  path: { topic: 'greetings', partition: 0 },
  query: { offset: 0, maxWaitMs: 30000, maxRecords: 100, valueFormat: 'json' },
};

type FetchAnswer = operations['fetchRecords']['responses'][200]['content']['application/json'];
type ProduceAnswer = operations['produceRecords']['responses'][200]['content']['application/json'];

/** Partition, offset and timestamp are integers: numbers, not strings. */
export function positions(answer: FetchAnswer): [number, number, number][] {
  return answer.records.map((r) => [r.partition, r.offset, r.timestamp]);
}

export function resumeAt(answer: FetchAnswer): number {
  const last = answer.records[answer.records.length - 1];
  return last === undefined ? answer.nextOffset : last.offset + 1;
}

export function greetings(answer: FetchAnswer): string[] {
  return answer.records.flatMap((record) =>
    typeof record.value === 'object' && record.value !== null && !Array.isArray(record.value)
      ? [String(record.value.hello)]
      : [],
  );
}

export function written(answer: ProduceAnswer): [number, number][] {
  return answer.offsets.map((o) => [o.partition, o.offset]);
}

export function retry(problem: components['schemas']['ProblemDto']): boolean {
  return problem.retriable && problem.status >= 500;
}

export function revoked(key: components['schemas']['KeyDto']): boolean {
  const at: string | null = key.revokedAt;
  return at !== null;
}
`;
}

/** Each must fail to compile. */
const WRONG: Record<string, string> = {
  'partition-as-string': `export const p: FetchParameters = { path: { topic: 't', partition: 'x' }, query: { offset: 0 } };`,
  'offset-missing': `export const p: FetchParameters = { path: { topic: 't', partition: 0 }, query: {} };`,
  'value-missing': `export const b: ProduceBody = { records: [{ key: 'k' }] };`,
  'value-undefined': `export const b: ProduceBody = { records: [{ value: undefined }] };`,
  'unknown-format': `export const b: ProduceBody = { keyFormat: 'xml', records: [{ value: 1 }] };`,
  'timestamp-as-date': `export const b: ProduceBody = { records: [{ value: 1, timestamp: new Date() }] };`,
  'header-value-number': `export const b: ProduceBody = { records: [{ value: 1, headers: { n: 1 } }] };`,
  'wait-as-string': `export const p: FetchParameters = { path: { topic: 't', partition: 0 }, query: { offset: 0, maxWaitMs: '100' } };`,
};

describe('types generated from the committed OpenAPI document', () => {
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-openapi-types-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('client code compiles against them, and code that breaks the schemas does not', async () => {
    const file = path.join(root, 'openapi', 'openapi.json');
    const readme = readmeBodies(JSON.parse(fs.readFileSync(file, 'utf8')) as Document);
    expect(readme.map((r) => r.operationId)).toEqual(
      expect.arrayContaining(['createTopic', 'produceRecords', 'joinGroup', 'createTenant']),
    );
    fs.writeFileSync(path.join(dir, 'api.ts'), await runEsm(GENERATE, [file]));
    const files: Record<string, string> = { usage: usage(readme) };
    for (const [name, line] of Object.entries(WRONG))
      files[`wrong-${name}`] = `${HEADER}\n${line}\n`;
    for (const [name, text] of Object.entries(files)) {
      fs.writeFileSync(path.join(dir, `${name}.ts`), text);
    }

    const program = ts.createProgram(
      Object.keys(files).map((name) => path.join(dir, `${name}.ts`)),
      COMPILER_OPTIONS,
    );
    const byFile = new Map<string, string[]>();
    for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
      const name = path.basename(diagnostic.file?.fileName ?? 'options', '.ts');
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      byFile.set(name, [...(byFile.get(name) ?? []), `TS${diagnostic.code}: ${message}`]);
    }
    expect(byFile.get('api') ?? []).toEqual([]);
    expect(byFile.get('options') ?? []).toEqual([]);
    expect(byFile.get('usage') ?? []).toEqual([]);
    for (const name of Object.keys(WRONG)) {
      expect({ name, fails: (byFile.get(`wrong-${name}`) ?? []).length > 0 }).toEqual({
        name,
        fails: true,
      });
    }
  }, 60_000);
});
