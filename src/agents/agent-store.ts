import type { Store } from '../store/store';
import {
  AgentExistsError,
  AgentNotFoundError,
  AgentVersionNotFoundError,
  VersionConflictError,
} from './errors';
import { sameAgentConfig } from './problems';

/** One immutable version of an agent's configuration, as its author wrote it (defaults not filled in). */
export interface AgentVersion {
  agentId: string;
  version: number;
  config: Record<string, unknown>;
  author: string;
  note: string | null;
  /** Where the version came from: `api`, `cli`, `file:<path>` (applied at start-up), `restore`. */
  source: string;
  createdAt: string;
}

export interface SaveMeta {
  author: string;
  note?: string;
  source: string;
}

export interface SaveResult {
  saved: AgentVersion;
  /** False when the config matched the latest version, so no new version was written. */
  changed: boolean;
}

interface VersionRow {
  agent_id: string;
  version: number;
  config: Record<string, unknown> | string;
  author: string;
  note: string | null;
  source: string;
  created_at: Date | string;
}

const COLUMNS = 'v.agent_id, v.version, v.config, v.author, v.note, v.source, v.created_at';

/**
 * Agents and their versions in the store. Every save appends a version; nothing is updated in place except the
 * pointer to the latest, so a call's snapshot can always be traced back to the version it ran.
 */
export class AgentStore {
  constructor(private readonly store: Store) {}

  async list(): Promise<AgentVersion[]> {
    const rows = await this.store.query<VersionRow>(
      `SELECT ${COLUMNS} FROM agents a JOIN agent_versions v
         ON v.agent_id = a.agent_id AND v.version = a.latest_version
       ORDER BY a.agent_id`,
    );
    return rows.map(toVersion);
  }

  /** Latest version number per agent: what the registry polls to see what changed. */
  async heads(): Promise<Map<string, number>> {
    const rows = await this.store.query<{ agent_id: string; latest_version: number }>(
      'SELECT agent_id, latest_version FROM agents',
    );
    return new Map(rows.map((r) => [r.agent_id, Number(r.latest_version)]));
  }

  async latest(agentId: string): Promise<AgentVersion | undefined> {
    const rows = await this.store.query<VersionRow>(
      `SELECT ${COLUMNS} FROM agents a JOIN agent_versions v
         ON v.agent_id = a.agent_id AND v.version = a.latest_version
       WHERE a.agent_id = $1`,
      [agentId],
    );
    return rows[0] && toVersion(rows[0]);
  }

  async version(agentId: string, version: number): Promise<AgentVersion | undefined> {
    const rows = await this.store.query<VersionRow>(
      `SELECT ${COLUMNS} FROM agent_versions v WHERE v.agent_id = $1 AND v.version = $2`,
      [agentId, version],
    );
    return rows[0] && toVersion(rows[0]);
  }

  /** Newest first. */
  async versions(agentId: string): Promise<AgentVersion[]> {
    const rows = await this.store.query<VersionRow>(
      `SELECT ${COLUMNS} FROM agent_versions v WHERE v.agent_id = $1 ORDER BY v.version DESC`,
      [agentId],
    );
    if (rows.length === 0 && !(await this.exists(agentId))) throw new AgentNotFoundError(agentId);
    return rows.map(toVersion);
  }

  /** The newest version whose source starts with `prefix` (e.g. the last one applied from a file). */
  async latestFrom(agentId: string, prefix: string): Promise<AgentVersion | undefined> {
    const rows = await this.store.query<VersionRow>(
      `SELECT ${COLUMNS} FROM agent_versions v
       WHERE v.agent_id = $1 AND starts_with(v.source, $2) ORDER BY v.version DESC LIMIT 1`,
      [agentId, prefix],
    );
    return rows[0] && toVersion(rows[0]);
  }

  async create(agentId: string, config: Record<string, unknown>, meta: SaveMeta): Promise<AgentVersion> {
    return this.store.transaction(async (tx) => {
      const inserted = await tx.query(
        'INSERT INTO agents (agent_id, latest_version) VALUES ($1, 1) ON CONFLICT (agent_id) DO NOTHING RETURNING agent_id',
        [agentId],
      );
      if (inserted.length === 0) throw new AgentExistsError(agentId);
      return insertVersion(tx, agentId, 1, config, meta);
    });
  }

  /**
   * Appends a version unless the config behaves exactly like the latest one. `expectedVersion` (If-Match)
   * refuses the write when someone else saved in between.
   */
  async save(
    agentId: string,
    config: Record<string, unknown>,
    meta: SaveMeta & { expectedVersion?: number; createIfMissing?: boolean; always?: boolean },
  ): Promise<SaveResult> {
    return this.store.transaction(async (tx) => {
      if (meta.createIfMissing) {
        // Replicas starting together may both find the agent missing: only one insert wins, the other updates.
        const created = await tx.query(
          'INSERT INTO agents (agent_id, latest_version) VALUES ($1, 1) ON CONFLICT (agent_id) DO NOTHING RETURNING agent_id',
          [agentId],
        );
        if (created.length)
          return { saved: await insertVersion(tx, agentId, 1, config, meta), changed: true };
      }
      const head = await tx.query<{ latest_version: number }>(
        'SELECT latest_version FROM agents WHERE agent_id = $1 FOR UPDATE',
        [agentId],
      );
      if (head.length === 0) throw new AgentNotFoundError(agentId);
      const latest = Number(head[0].latest_version);
      if (meta.expectedVersion !== undefined && meta.expectedVersion !== latest)
        throw new VersionConflictError(agentId, meta.expectedVersion, latest);
      const current = await tx.query<VersionRow>(
        `SELECT ${COLUMNS} FROM agent_versions v WHERE v.agent_id = $1 AND v.version = $2`,
        [agentId, latest],
      );
      const currentVersion = toVersion(current[0]);
      if (!meta.always && sameAgentConfig(currentVersion.config, config))
        return { saved: currentVersion, changed: false };
      await tx.query('UPDATE agents SET latest_version = $2, updated_at = now() WHERE agent_id = $1', [
        agentId,
        latest + 1,
      ]);
      return { saved: await insertVersion(tx, agentId, latest + 1, config, meta), changed: true };
    });
  }

  /** Restoring writes a new version with the old config, so history only ever grows. */
  async restore(
    agentId: string,
    version: number,
    meta: Omit<SaveMeta, 'source'> & { expectedVersion?: number },
  ): Promise<AgentVersion> {
    const old = await this.version(agentId, version);
    if (!old) {
      if (!(await this.exists(agentId))) throw new AgentNotFoundError(agentId);
      throw new AgentVersionNotFoundError(agentId, version);
    }
    const { saved } = await this.save(agentId, old.config, {
      ...meta,
      note: meta.note ?? `restored from version ${version}`,
      source: 'restore',
      always: true,
    });
    return saved;
  }

  private async exists(agentId: string): Promise<boolean> {
    return (await this.store.query('SELECT 1 FROM agents WHERE agent_id = $1', [agentId])).length > 0;
  }
}

async function insertVersion(
  tx: Pick<Store, 'query'>,
  agentId: string,
  version: number,
  config: Record<string, unknown>,
  meta: SaveMeta,
): Promise<AgentVersion> {
  const rows = await tx.query<VersionRow>(
    `INSERT INTO agent_versions AS v (agent_id, version, config, author, note, source)
     VALUES ($1, $2, $3::text::json, $4, $5, $6) RETURNING ${COLUMNS}`,
    [agentId, version, JSON.stringify(config), meta.author, meta.note ?? null, meta.source],
  );
  return toVersion(rows[0]);
}

function toVersion(row: VersionRow): AgentVersion {
  return {
    agentId: row.agent_id,
    version: Number(row.version),
    config: typeof row.config === 'string' ? JSON.parse(row.config) : row.config,
    author: row.author,
    note: row.note,
    source: row.source,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
