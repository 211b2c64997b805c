// The committed openapi/openapi.json passes Redocly's recommended rules (those `npx @redocly/cli
// lint` runs, through its engine @redocly/openapi-core) without an error, and holds what Swagger
// UI and client generators need: every operation named, summarized and described, an explicit
// security requirement on each, and a typed schema for every path and query parameter.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findRepoRoot } from '@tributary/metadata';
import { runEsm } from './node-esm';

interface Problem {
  ruleId: string;
  severity: string;
  message: string;
  at: string;
}

/** Lints each file given with the recommended rules; prints [[problems of file 1], ...]. */
const LINT = `
import { createConfig, lint } from '@redocly/openapi-core';
const config = await createConfig({ extends: ['recommended'] });
const results = [];
for (const ref of process.argv.slice(1)) {
  const problems = await lint({ ref, config });
  results.push(problems.map((p) => ({
    ruleId: p.ruleId,
    severity: p.severity,
    message: p.message,
    at: p.location.map((l) => l.pointer).join(', '),
  })));
}
process.stdout.write(JSON.stringify(results));
`;

/**
 * Warnings accepted, and why: the project has no license to name; the service routes answer no
 * 4xx of their own (a wrong method is 405, which belongs to no operation).
 */
const ACCEPTED_WARNINGS = [
  'info-license at #/info',
  'operation-4xx-response at #/paths/~1healthz/get/responses',
  'operation-4xx-response at #/paths/~1readyz/get/responses',
  'operation-4xx-response at #/paths/~1metrics/get/responses',
];

const show = (p: Problem) => `${p.severity} ${p.ruleId} at ${p.at}: ${p.message}`;

type Operation = Record<string, any>;

describe('the committed OpenAPI document', () => {
  const file = path.join(findRepoRoot(), 'openapi', 'openapi.json');
  const document = JSON.parse(fs.readFileSync(file, 'utf8'));
  const operations: { where: string; op: Operation }[] = Object.entries(
    document.paths as Record<string, Record<string, Operation>>,
  ).flatMap(([route, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ where: `${method.toUpperCase()} ${route}`, op })),
  );
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-openapi-lint-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("Redocly's recommended rules find no error, and no warning but those accepted", async () => {
    // A copy with two faults the rules must find, so a linter that checks nothing fails here.
    const broken = structuredClone(document);
    delete broken.paths['/v1/topics'].get.summary;
    broken.components.schemas.HeaderDto.properties.value = { type: 'string', nullable: true };
    const brokenFile = path.join(dir, 'broken.json');
    fs.writeFileSync(brokenFile, JSON.stringify(broken));

    const [problems, brokenProblems] = JSON.parse(
      await runEsm(LINT, [file, brokenFile]),
    ) as Problem[][];
    const errors = problems!.filter((p) => p.severity === 'error');
    expect(errors.map(show)).toEqual([]);
    const warnings = problems!.filter((p) => !ACCEPTED_WARNINGS.includes(`${p.ruleId} at ${p.at}`));
    expect(warnings.map(show)).toEqual([]);
    expect(brokenProblems!.filter((p) => p.severity === 'error').map((p) => p.ruleId)).toEqual(
      expect.arrayContaining(['operation-summary', 'struct']),
    );
  });

  test('it names the node serving it as its server', () => {
    expect(document.servers).toEqual([{ url: '/', description: expect.any(String) }]);
  });

  test('every operation has a summary, a description and a unique camelCase operationId', () => {
    const ids = operations.map(({ op }) => op.operationId as string);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { where, op } of operations) {
      expect({
        where,
        operationId: /^[a-z][a-zA-Z]+$/.test(op.operationId as string) && !/_/.test(op.operationId),
        summary: typeof op.summary === 'string' && op.summary.length > 0,
        description: typeof op.description === 'string' && op.description.length > 20,
      }).toEqual({ where, operationId: true, summary: true, description: true });
    }
  });

  test('every operation states its security: none for the service routes, a bearer scheme otherwise', () => {
    const schemes = document.components.securitySchemes as Record<string, Record<string, unknown>>;
    for (const scheme of Object.values(schemes)) {
      expect(scheme).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(scheme.bearerFormat).toBeUndefined();
    }
    for (const { where, op } of operations) {
      const security = op.security as Record<string, unknown>[] | undefined;
      expect({ where, security: Array.isArray(security) }).toEqual({ where, security: true });
      const names = security!.flatMap((s) => Object.keys(s));
      if (where.includes(' /v1/')) {
        expect({ where, names: names.length > 0 && names.every((n) => n in schemes) }).toEqual({
          where,
          names: true,
        });
      } else {
        expect({ where, security }).toEqual({ where, security: [] });
      }
    }
  });

  test('every path and query parameter has a typed schema; numbers are integers with bounds', () => {
    for (const { where, op } of operations) {
      for (const parameter of (op.parameters ?? []) as Operation[]) {
        if (parameter.in !== 'path' && parameter.in !== 'query') continue;
        const schema = (parameter.schema ?? {}) as Record<string, unknown>;
        const named = `${where} ${parameter.in} ${parameter.name}`;
        expect({ named, type: schema.type }).toEqual({
          named,
          type: expect.stringMatching(/^(string|integer|boolean)$/),
        });
        if (schema.type === 'integer') {
          expect({ named, bounded: typeof schema.minimum === 'number' }).toEqual({
            named,
            bounded: true,
          });
        }
      }
    }
    const fetch = operations.find(({ op }) => op.operationId === 'fetchRecords')!.op;
    const schemaOf = (name: string) =>
      (fetch.parameters as Operation[]).find((p) => p.name === name)!.schema;
    expect(schemaOf('partition')).toMatchObject({ type: 'integer', minimum: 0 });
    expect(schemaOf('offset')).toMatchObject({ type: 'integer', minimum: 0 });
    expect(schemaOf('maxWaitMs')).toMatchObject({ type: 'integer', minimum: 0, maximum: 30_000 });
    expect(schemaOf('maxRecords')).toMatchObject({ type: 'integer', minimum: 1 });
    expect(schemaOf('maxBytes')).toMatchObject({ type: 'integer', minimum: 1 });
  });

  test('it is OpenAPI 3.1 throughout: no nullable', () => {
    expect(JSON.stringify(document)).not.toContain('"nullable"');
  });
});
