/** Failures of agent-store writes the caller can act on; the API turns them into 404 / 409. */
export class AgentNotFoundError extends Error {
  override name = 'AgentNotFoundError';
  constructor(readonly agentId: string) {
    super(`unknown agent "${agentId}"`);
  }
}

export class AgentExistsError extends Error {
  override name = 'AgentExistsError';
  constructor(readonly agentId: string) {
    super(`agent "${agentId}" already exists`);
  }
}

export class AgentVersionNotFoundError extends Error {
  override name = 'AgentVersionNotFoundError';
  constructor(
    readonly agentId: string,
    readonly version: number,
  ) {
    super(`agent "${agentId}" has no version ${version}`);
  }
}

/** The writer based its change on a version that is no longer the latest (an `If-Match` that is stale). */
export class VersionConflictError extends Error {
  override name = 'VersionConflictError';
  constructor(
    readonly agentId: string,
    readonly expected: number,
    readonly latest: number,
  ) {
    super(
      `agent "${agentId}" is at version ${latest}, not ${expected}: reload it and apply the change again`,
    );
  }
}
