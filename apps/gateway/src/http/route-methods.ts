// Which methods a path is served with, read from the Express router that routes the requests
// (the controllers' routes, Swagger UI's and /openapi.json), so the Allow header of a 405 can
// never disagree with what the router does. The hot routes are declared there too.

/** What this reads of a router layer: Express's `router` package, version 2. */
interface RouterLayer {
  route?: { methods: Record<string, boolean | undefined> };
  match(path: string): unknown;
}

/** The order methods are listed in, as in the OpenAPI document. */
const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export class RouteMethods {
  /** `stack` is read at each call: the routes are registered after this is built. */
  constructor(private readonly stack: () => readonly unknown[]) {}

  /** The methods `path` is served with; empty when no route matches it. */
  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const layer of this.stack() as readonly RouterLayer[]) {
      if (layer.route === undefined || layer.match(path) === false) continue;
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on === true && method !== '_all') methods.add(method.toUpperCase());
      }
    }
    // Express answers HEAD with the GET route.
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  }
}

function rank(method: string): number {
  const index = ORDER.indexOf(method);
  return index === -1 ? ORDER.length : index;
}
