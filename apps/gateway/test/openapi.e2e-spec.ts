// The committed openapi/openapi.json is what the code generates, and every route documents its
// credential and its errors with examples.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findRepoRoot } from '@tributary/metadata';
import { openApiText } from '../../broker/src/write-openapi';
import { type TestNode, startTestNode } from './harness';

describe('OpenAPI document', () => {
  let t: TestNode;
  let served: any;

  beforeAll(async () => {
    t = await startTestNode('pglite');
    served = (await t.api.get('/openapi.json')).body;
  }, 60_000);
  afterAll(() => t.cleanup());

  test('openapi/openapi.json is up to date (run `npm run openapi` after changing routes)', () => {
    const committed = fs.readFileSync(path.join(findRepoRoot(), 'openapi', 'openapi.json'), 'utf8');
    expect(committed).toBe(openApiText(served));
  });

  test('it is OpenAPI 3.1 with both bearer schemes and the problem schema', () => {
    expect(served.openapi).toBe('3.1.0');
    expect(Object.keys(served.components.securitySchemes).sort()).toEqual(['apiKey', 'operator']);
    expect(served.components.schemas.ProblemDto.properties.code).toBeDefined();
  });

  test('every /v1 operation names its credential and documents 401 and 500 as problems with examples', () => {
    const operations = Object.entries(served.paths).flatMap(([route, ops]) =>
      Object.entries(ops as Record<string, any>).map(([method, op]) => ({ route, method, op })),
    );
    const v1 = operations.filter((o) => o.route.startsWith('/v1/'));
    expect(v1.length).toBeGreaterThanOrEqual(17);
    for (const { route, method, op } of v1) {
      const where = `${method.toUpperCase()} ${route}`;
      // One credential, or for the cluster's description either of the two.
      const schemes = (op.security ?? []).map((s: object) => Object.keys(s).join()).sort();
      expect({ where, schemes }).toEqual({
        where,
        schemes: where === 'GET /v1/cluster' ? ['apiKey', 'operator'] : [expect.any(String)],
      });
      for (const [status, response] of Object.entries(op.responses as Record<string, any>)) {
        if (Number(status) < 400) continue;
        const problem = response.content?.['application/problem+json'];
        expect({
          where,
          status,
          examples: Object.keys(problem?.examples ?? {}).length > 0,
        }).toEqual({
          where,
          status,
          examples: true,
        });
      }
      expect({ where, has401: '401' in op.responses, has500: '500' in op.responses }).toEqual({
        where,
        has401: true,
        has500: true,
      });
    }
  });
});
