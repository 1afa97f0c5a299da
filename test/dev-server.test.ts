import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SERVICE_DYNAMIC_CONFIG, SERVICE_SQLITE_PRAGMAS, startDevServer } from '../src/temporal/dev-server';
import type { callWorkflow } from '../workflows/call';
import { event, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';

/** How often the history service has read the cluster metadata (the search-attribute cache's source). */
async function clusterMetadataReads(metricsUrl: string | undefined): Promise<number> {
  const text = await (await fetch(metricsUrl ?? '')).text();
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('persistence_requests{') &&
        l.includes('operation="GetCurrentClusterMetadata"') &&
        l.includes('service_name="history"'),
    );
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** SQLite's header says 2 in its read and write version bytes for a database in WAL mode, 1 for a rollback journal. */
function journalOf(dbFile: string): 'wal' | 'rollback' {
  const header = readFileSync(dbFile).subarray(0, 100);
  return header[18] === 2 && header[19] === 2 ? 'wal' : 'rollback';
}

describe("npm start's dev server", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'callflow-dev-server-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps its SQLite file in WAL mode, so a commit doesn't wait for the disk", async () => {
    const dbFile = path.join(dir, 'service.sqlite');
    const server = await startDevServer({ headless: true, dbFile, sqlitePragmas: SERVICE_SQLITE_PRAGMAS });
    try {
      assert.equal(journalOf(dbFile), 'wal');
    } finally {
      await server.stop();
    }
  });

  it("finds a call by its search attributes from the first workflow task with the cache on, and its workflow tasks don't read the cluster metadata", async () => {
    const dbFile = path.join(dir, 'cached.sqlite');
    const server = await startDevServer({
      headless: true,
      dbFile,
      sqlitePragmas: SERVICE_SQLITE_PRAGMAS,
      dynamicConfig: SERVICE_DYNAMIC_CONFIG,
    });
    const h = await startHarness({
      server,
      agents: [{ id: 'cached', name: 'Cached', actions: { afterCall: [] } }],
    });
    try {
      const before = await clusterMetadataReads(server.metricsUrl);
      await h.api('POST', '/v1/calls/sa-cache/events', {
        agentId: 'cached',
        call: { direction: 'inbound', from: '+15551239876' },
        event: event('u', 1, { type: 'utterance', role: 'caller', text: 'Hello?' }),
      });
      for (let n = 2; n < 6; n++)
        await h.api('POST', '/v1/calls/sa-cache/events', {
          agentId: 'cached',
          event: event(`u${n}`, n, { type: 'utterance', role: 'agent', text: `Line ${n}.` }),
        });
      await h.api('POST', '/v1/calls/sa-cache/events', {
        agentId: 'cached',
        event: event('x', 9, { type: 'ended' }),
      });
      await h.client.workflow.getHandle<typeof callWorkflow>('call-sa-cache').result();
      const found = await eventually(async () => {
        const { count } = await h.client.workflow.count(
          'WorkflowId = "call-sa-cache" AND CallStatus = "completed" AND CallCallerLast4 = "9876"',
        );
        return count === 1 ? count : undefined;
      });
      assert.equal(found, 1);
      const history = await h.client.workflow.getHandle('call-sa-cache').fetchHistory();
      const tasks = (history.events ?? []).filter((e) => e.workflowTaskCompletedEventAttributes).length;
      assert.ok(tasks >= 3, `the call had ${tasks} workflow tasks`);
      // With the CLI's default every completed workflow task reads it; with the cache, at most a refresh.
      const reads = (await clusterMetadataReads(server.metricsUrl)) - before;
      assert.ok(reads <= 1, `${reads} cluster-metadata reads for ${tasks} workflow tasks`);
    } finally {
      await h.stop();
      await server.stop();
    }
  });

  it("without the pragmas the file has SQLite's rollback journal", async () => {
    const dbFile = path.join(dir, 'stock.sqlite');
    const server = await startDevServer({ headless: true, dbFile });
    try {
      assert.equal(journalOf(dbFile), 'rollback');
    } finally {
      await server.stop();
    }
  });
});
