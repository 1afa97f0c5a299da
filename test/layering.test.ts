import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The layers, top to bottom. A file may import its own layer and the layers below it, never one above, and the
 * imports have no cycles. The longest matching prefix places a file, so `test/kit/` sits apart from `test/`.
 */
const LAYERS: { name: string; paths: string[] }[] = [
  { name: 'tests', paths: ['test/'] },
  { name: 'scripts', paths: ['scripts/'] },
  // The loopback fakes and the harness: shared by the tests and the scripts (bench, chaos), so below both.
  { name: 'test kit', paths: ['test/kit/'] },
  // Process entry points and the building blocks they share.
  { name: 'service', paths: ['src/main.ts', 'src/main-worker.ts', 'src/main-ingress.ts', 'src/service.ts'] },
  // src/calls/: the Temporal client for calls, which the ingress uses.
  { name: 'ingress and worker', paths: ['src/ingress/', 'src/dashboard/', 'src/calls/', 'src/worker.ts'] },
  // Agent files, the agent store and the dry runs: made of the action types' schemas and the call model.
  { name: 'agents', paths: ['src/agents/', 'src/config/agent-schema.ts', 'src/config/load-agents.ts'] },
  { name: 'workflows and activities', paths: ['workflows/', 'activities/'] },
  {
    name: 'integrations',
    paths: ['src/integrations/', 'src/scheduling/', 'src/extraction/', 'src/platforms/', 'src/temporal/'],
  },
  { name: 'store', paths: ['src/store/'] },
  // Settings, logs and metrics, the payload codec: leaf modules every layer above may use.
  { name: 'foundation', paths: ['src/config/', 'src/observability/', 'src/crypto/'] },
  // Deterministic code the workflow sandbox can load.
  // src/calls/call-errors.ts: the refusals the workflow raises and the call client turns back into classes.
  { name: 'pure modules', paths: ['src/shared/', 'src/ivr/', 'src/calls/call-errors.ts'] },
];

const ROOT = path.resolve(__dirname, '..');
const SCANNED = ['src', 'workflows', 'activities', 'scripts', 'test'];

/** 0 is the top layer; undefined when no entry of the table places the file. */
function layerOf(file: string): number | undefined {
  let best: { index: number; length: number } | undefined;
  LAYERS.forEach((layer, index) => {
    for (const p of layer.paths) {
      const matches = p.endsWith('/') ? file.startsWith(p) : file === p;
      if (matches && p.length > (best?.length ?? -1)) best = { index, length: p.length };
    }
  });
  return best?.index;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.(ts|cjs)$/.test(entry.name)) out.push(rel);
  }
  return out;
}

function resolveImport(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`]) {
    const abs = path.join(ROOT, candidate);
    if (existsSync(abs) && statSync(abs).isFile()) return candidate;
  }
  throw new Error(`${from}: cannot resolve "${specifier}"`);
}

type Edge = [from: string, to: string];

/**
 * The specifiers a file imports for types only (`import type`, or every named import marked `type`): erased when
 * compiled, so they order no module's loading and can't close a cycle, though they still count for the layers.
 */
function typeOnlySpecifiers(file: string, text: string): Set<string> {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest);
  const typeOnly = new Set<string>();
  const runtime = new Set<string>();
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const clause = statement.importClause;
    const bindings = clause?.namedBindings;
    const erased =
      !!clause &&
      (clause.isTypeOnly ||
        (!clause.name &&
          !!bindings &&
          ts.isNamedImports(bindings) &&
          bindings.elements.every((e) => e.isTypeOnly)));
    (erased ? typeOnly : runtime).add(statement.moduleSpecifier.text);
  }
  for (const specifier of runtime) typeOnly.delete(specifier);
  return typeOnly;
}

/** Every relative import of the scanned folders: static, `import type`, re-exports, require, import(). */
function importGraph(): { edges: Edge[]; typeEdges: Set<string> } {
  const edges: Edge[] = [];
  const typeEdges = new Set<string>();
  for (const file of SCANNED.flatMap(sourceFiles)) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    const specifiers = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
    // require.resolve names a module the file loads by path (the worker's workflow code, for one).
    for (const m of text.matchAll(/require\.resolve\(\s*['"]([^'"]+)['"]/g)) specifiers.push(m[1]);
    const typeOnly = typeOnlySpecifiers(file, text);
    for (const specifier of specifiers) {
      const target = resolveImport(file, specifier);
      if (!target || target === file) continue;
      edges.push([file, target]);
      if (typeOnly.has(specifier)) typeEdges.add(`${file} ${target}`);
    }
  }
  return { edges, typeEdges };
}

/** Imports from a file to a layer above its own. */
function upwardEdges(edges: Edge[], layer: (file: string) => number | undefined): string[] {
  return edges
    .filter(([from, to]) => (layer(to) ?? Number.POSITIVE_INFINITY) < (layer(from) ?? 0))
    .map(
      ([from, to]) =>
        `${from} (${LAYERS[layer(from) as number]?.name}) -> ${to} (${LAYERS[layer(to) as number]?.name})`,
    );
}

/** The import cycles: each strongly connected component of more than one file (Tarjan). */
function importCycles(edges: Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const [from, to] of edges) {
    next.set(from, [...(next.get(from) ?? []), to]);
    if (!next.has(to)) next.set(to, []);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

describe('layering: imports point down', () => {
  const { edges, typeEdges } = importGraph();

  it('reads the imports of every folder (type imports, require.resolve and JSON included)', () => {
    const has = (from: string, to: string) => edges.some(([f, t]) => f === from && t === to);
    assert.ok(has('src/main.ts', 'src/service.ts'));
    assert.ok(has('src/worker.ts', 'workflows/index.ts'), 'require.resolve');
    assert.ok(has('workflows/call.ts', 'src/shared/types.ts'), 'import type');
    assert.ok(has('scripts/extraction-accuracy.ts', 'test/kit/extraction-corpus.json'), 'JSON');
  });

  it('places every source file in a layer', () => {
    const unplaced = SCANNED.flatMap(sourceFiles).filter((f) => layerOf(f) === undefined);
    assert.deepEqual(unplaced, [], 'add these folders to LAYERS in test/layering.test.ts');
  });

  it('has no import that points up a layer', () => {
    assert.deepEqual(upwardEdges(edges, layerOf), []);
  });

  it('has no import cycle (type-only imports, erased when compiled, aside)', () => {
    assert.deepEqual(importCycles(edges.filter(([from, to]) => !typeEdges.has(`${from} ${to}`))), []);
  });

  it('reports a cycle and an upward import when there is one', () => {
    const made: Edge[] = [
      ['src/store/a.ts', 'src/store/b.ts'],
      ['src/store/b.ts', 'src/store/a.ts'],
      ['src/store/b.ts', 'src/service.ts'],
      ['src/service.ts', 'src/shared/types.ts'],
    ];
    assert.deepEqual(importCycles(made), [['src/store/a.ts', 'src/store/b.ts']]);
    assert.deepEqual(upwardEdges(made, layerOf), ['src/store/b.ts (store) -> src/service.ts (service)']);
  });
});
