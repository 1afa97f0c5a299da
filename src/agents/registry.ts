import type { AgentConfig } from '../config/agent-schema';
import type { Logger } from '../observability/logger';
import type { AgentStore, AgentVersion } from './agent-store';
import { validateAgent } from './problems';

/** What the ingress needs to start a call: the agent's current config, synchronously. A Map satisfies it. */
export interface AgentLookup {
  get(agentId: string): AgentConfig | undefined;
}

/** A validated agent, with the store version it came from: the version travels in the call's snapshot. */
export type RegisteredAgent = AgentConfig & { version?: number };

export const DEFAULT_REFRESH_SECONDS = 5;

/**
 * The agents new calls start with. Reads are synchronous from memory; every write through this process's API
 * updates the cache at once, and a poll of the store every few seconds picks up what other replicas (or the CLI)
 * wrote, so replicas converge within one refresh interval.
 */
export class AgentRegistry implements AgentLookup {
  private readonly agents = new Map<string, RegisteredAgent>();
  private timer?: NodeJS.Timeout;
  private refreshing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly store: AgentStore | undefined,
    private readonly log?: Logger,
  ) {}

  /** Agents fixed at start (no store: the standalone ingress without DATABASE_URL, or tests). */
  static fromMap(agents: Map<string, AgentConfig>): AgentRegistry {
    const registry = new AgentRegistry(undefined);
    for (const [id, agent] of agents) registry.agents.set(id, agent);
    return registry;
  }

  static async open(
    store: AgentStore,
    opts: { refreshSeconds?: number; log?: Logger } = {},
  ): Promise<AgentRegistry> {
    const registry = new AgentRegistry(store, opts.log);
    await registry.refresh();
    const every = (opts.refreshSeconds ?? DEFAULT_REFRESH_SECONDS) * 1000;
    registry.timer = setInterval(() => {
      registry.refresh().catch((err: Error) => opts.log?.warn(`agent refresh failed: ${err.message}`));
    }, every);
    registry.timer.unref();
    return registry;
  }

  get writable(): boolean {
    return this.store !== undefined;
  }

  get(agentId: string): RegisteredAgent | undefined {
    return this.agents.get(agentId);
  }

  ids(): string[] {
    return [...this.agents.keys()].sort();
  }

  /** Takes a version just written (newer than what is cached) without waiting for the next poll. */
  accept(version: AgentVersion): void {
    const cached = this.agents.get(version.agentId);
    if (cached?.version !== undefined && cached.version >= version.version) return;
    try {
      this.agents.set(version.agentId, {
        ...validateAgent(version.config, 'store'),
        version: version.version,
      });
    } catch (err) {
      // A version that passed validation when written but not under this code: keep serving the one cached.
      this.log?.warn(
        `agent "${version.agentId}" version ${version.version} is not valid here: ${(err as Error).message}`,
      );
    }
  }

  /** Re-reads the versions that changed since the last refresh; calls queue so none overlaps another. */
  refresh(): Promise<void> {
    const store = this.store;
    if (!store) return Promise.resolve();
    this.refreshing = this.refreshing
      .catch(() => undefined)
      .then(async () => {
        const heads = await store.heads();
        for (const [id, version] of heads) {
          if (this.agents.get(id)?.version === version) continue;
          const latest = await store.version(id, version);
          if (latest) this.accept(latest);
        }
      });
    return this.refreshing;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
