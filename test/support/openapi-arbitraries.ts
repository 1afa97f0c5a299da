import fc from 'fast-check';

// Requests generated from an OpenAPI 3.1 document: its operations, and values its JSON Schemas admit.

type Json = Record<string, any>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

export interface DocumentedOperation {
  /** `POST /v1/agents/{id}`: how counts and failures name it. */
  key: string;
  method: string;
  path: string;
  op: Json;
}

export function documentedOperations(doc: Json): DocumentedOperation[] {
  return Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({
      key: `${method.toUpperCase()} ${path}`,
      method: method.toUpperCase(),
      path,
      op: item[method] as Json,
    })),
  );
}

/** The node a `$ref` points at (local references only, as the document has), followed until it is not one. */
export function resolve(doc: Json, node: Json): Json {
  let at = node;
  for (let hops = 0; at?.$ref && hops < 20; hops++) {
    at = (at.$ref as string)
      .slice(2)
      .split('/')
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<any>((n, key) => n?.[key], doc);
  }
  return at ?? {};
}

const isoTime = fc
  .date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true })
  .map((d) => d.toISOString());

/**
 * Values the schema admits, most of the time: types, enums, constants, required keys, bounds, patterns and
 * date-times are honoured; `allOf` takes its first part. Deep schemas end in free JSON.
 */
export function schemaArbitrary(doc: Json, schema: Json, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(doc, schema);
  if (depth > 5) return fc.jsonValue({ maxDepth: 1 });
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  const alternatives = (s.oneOf ?? s.anyOf) as Json[] | undefined;
  if (alternatives?.length) return fc.oneof(...alternatives.map((a) => schemaArbitrary(doc, a, depth + 1)));
  if (Array.isArray(s.allOf) && s.allOf.length) return schemaArbitrary(doc, s.allOf[0], depth + 1);
  const types: string[] = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (types.length > 1) return fc.oneof(...types.map((type) => schemaArbitrary(doc, { ...s, type }, depth)));
  switch (types[0] ?? (s.properties ? 'object' : undefined)) {
    case 'object':
      return objectArbitrary(doc, s, depth);
    case 'array': {
      const minLength = s.minItems ?? 0;
      const items = s.items ? schemaArbitrary(doc, s.items, depth + 1) : fc.jsonValue({ maxDepth: 1 });
      return fc.array(items, { minLength, maxLength: Math.max(minLength, Math.min(s.maxItems ?? 3, 3)) });
    }
    case 'string':
      if (typeof s.pattern === 'string') return fc.stringMatching(new RegExp(s.pattern));
      if (s.format === 'date-time') return isoTime;
      return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 24, 40) });
    case 'integer':
      return fc.integer({ min: bound(s.minimum, -1000), max: bound(s.maximum, 1000) });
    case 'number':
      return fc.double({ min: bound(s.minimum, -1e6), max: bound(s.maximum, 1e6), noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function objectArbitrary(doc: Json, s: Json, depth: number): fc.Arbitrary<unknown> {
  const properties = Object.entries((s.properties ?? {}) as Json);
  if (properties.length === 0) {
    const values =
      s.additionalProperties && typeof s.additionalProperties === 'object'
        ? schemaArbitrary(doc, s.additionalProperties, depth + 1)
        : fc.jsonValue({ maxDepth: 1 });
    return fc.dictionary(fc.string({ maxLength: 10 }), values, { maxKeys: 3 });
  }
  const shape = Object.fromEntries(properties.map(([k, v]) => [k, schemaArbitrary(doc, v, depth + 1)]));
  return fc.record(shape, { requiredKeys: (s.required ?? []) as string[] });
}

/** A schema bound as a finite number fast-check takes (the document's int64-like maxima are clamped). */
function bound(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value)
    ? Math.max(-1e9, Math.min(1e9, value))
    : fallback;
}

/** A parameter's value as it travels in a path, a query or a header: text. */
export function parameterText(doc: Json, param: Json): fc.Arbitrary<string> {
  return schemaArbitrary(doc, param.schema ?? {}).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
}
