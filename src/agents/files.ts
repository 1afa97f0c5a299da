import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { ConfigError } from '../config/errors';
import { agentFiles, withSiblingTests } from '../config/load-agents';

export interface AgentSource {
  /** The file (and document, when it holds several) the agent came from. */
  source: string;
  raw: Record<string, unknown>;
}

/**
 * The agents in a YAML or JSON text, as written: one agent, several YAML documents (`---`), a list of agents, or
 * `{ agents: [...] }` (what `npm run agents -- export` writes as JSON).
 */
export function parseAgentsText(text: string, file: string): AgentSource[] {
  const json = file.endsWith('.json');
  let values: unknown[];
  try {
    if (json) values = [JSON.parse(text)];
    else {
      // A key YAML can't give a JS object (`? [a, b]`) becomes text the loader refuses as an unknown field; the
      // library's process warning about it would only be noise in the service's output.
      const docs = YAML.parseAllDocuments(text, { prettyErrors: true, logLevel: 'error' });
      const docsArray = Array.isArray(docs) ? docs : [docs];
      for (const doc of docsArray) if (doc.errors.length) throw doc.errors[0];
      values = docsArray.map((d) => d.toJS()).filter((v) => v !== null && v !== undefined);
    }
  } catch (err) {
    const message = `not valid ${json ? 'JSON' : 'YAML'}: ${(err as Error).message}`;
    throw new ConfigError([{ source: file, field: '', message }]);
  }
  return agentSources(values, file);
}

/** The agents in parsed documents, each one an agent, a list of agents or `{ agents: [...] }`. */
export function agentSources(values: unknown[], file: string): AgentSource[] {
  const agents = values.flatMap((v) =>
    Array.isArray(v)
      ? v
      : v && typeof v === 'object' && Array.isArray((v as { agents?: unknown }).agents)
        ? (v as { agents: unknown[] }).agents
        : [v],
  );
  return agents.map((raw, i) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw))
      throw new ConfigError([{ source: file, field: '', message: `agent #${i + 1} is not an object` }]);
    return { source: agents.length > 1 ? `${file}#${i + 1}` : file, raw: raw as Record<string, unknown> };
  });
}

/**
 * Agents as a file `apply` takes back: YAML documents separated by `---`, or JSON (`{ agents: [...] }`, or the
 * agent itself when `single`).
 */
export function agentsText(
  agents: Record<string, unknown>[],
  format: 'yaml' | 'json',
  single = false,
): string {
  if (format === 'json') return `${JSON.stringify(single ? agents[0] : { agents }, null, 2)}\n`;
  return agents.map((a) => YAML.stringify(a)).join('---\n');
}

/** Every agent in the given files or directories (.yaml, .yml, .json), in the loader's file order. */
export function readAgentSources(paths: string[]): AgentSource[] {
  return agentFiles(paths).flatMap((file) => {
    const sources = parseAgentsText(readFileSync(file, 'utf8'), file);
    // A sibling tests file belongs to the file's one agent; a file of several agents keeps tests inline.
    if (sources.length !== 1) return sources;
    return [{ ...sources[0], raw: withSiblingTests(sources[0].raw, file) as Record<string, unknown> }];
  });
}
