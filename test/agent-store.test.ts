import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentStore } from '../src/agents/agent-store';
import { applyAgentFiles } from '../src/agents/apply';
import { VersionConflictError } from '../src/agents/errors';
import { readAgentSources } from '../src/agents/files';
import { AgentRegistry } from '../src/agents/registry';
import type { CallRecord } from '../src/shared/types';
import { openStore, type StoreOptions } from '../src/store/open-store';
import type { Store } from '../src/store/store';
import type { callWorkflow } from '../workflows/call';
import { event, type Harness, startHarness } from './kit/harness';
import { startPostgres, type TestPostgres } from './kit/postgres';
import { eventually } from './kit/temporal';

function agent(id: string, body: string) {
  return {
    id,
    name: `Agent ${id}`,
    actions: { afterCall: [{ id: 'thanks', type: 'send_sms', to: '{{call.from}}', body }] },
  };
}

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`agent store (${kind})`, function () {
    this.timeout(60_000);
    let server: TestPostgres | undefined;
    let opts: StoreOptions;
    let store: Store;
    let agents: AgentStore;

    before(async () => {
      if (kind === 'postgres') {
        server = await startPostgres();
        opts = { databaseUrl: server.url };
      } else opts = {};
      store = await openStore(opts);
      agents = new AgentStore(store);
    });
    after(async () => {
      await store?.close();
      await server?.stop();
    });

    it('keeps every save as an immutable version and skips saves that change nothing', async () => {
      await agents.create('keep', agent('keep', 'one'), { author: 'ann', source: 'api' });
      const two = await agents.save('keep', agent('keep', 'two'), { author: 'ben', source: 'api' });
      assert.deepEqual([two.changed, two.saved.version], [true, 2]);
      // The same agent spelled with a default written out and keys in another order behaves the same.
      const same = {
        actions: {
          afterCall: [
            { body: 'two', onError: 'continue', to: '{{call.from}}', type: 'send_sms', id: 'thanks' },
          ],
        },
        name: 'Agent keep',
        id: 'keep',
      };
      const again = await agents.save('keep', same, { author: 'cat', source: 'api' });
      assert.deepEqual([again.changed, again.saved.version], [false, 2]);
      const first = await agents.version('keep', 1);
      assert.equal((first!.config.actions as any).afterCall[0].body, 'one');
      assert.deepEqual(
        (await agents.versions('keep')).map((v) => [v.version, v.author]),
        [
          [2, 'ben'],
          [1, 'ann'],
        ],
      );
    });

    it('keeps the key order the author wrote', async () => {
      const config = { name: 'Order', id: 'order', actions: { afterCall: [] } };
      await agents.create('order', config, { author: 'ann', source: 'api' });
      assert.deepEqual(Object.keys((await agents.latest('order'))!.config), ['name', 'id', 'actions']);
    });

    it('refuses a save based on a version that is no longer the latest', async () => {
      await agents.create('race', agent('race', 'one'), { author: 'ann', source: 'api' });
      await agents.save('race', agent('race', 'two'), { author: 'ann', source: 'api', expectedVersion: 1 });
      await assert.rejects(
        agents.save('race', agent('race', 'three'), { author: 'ben', source: 'api', expectedVersion: 1 }),
        (err: unknown) => err instanceof VersionConflictError && err.latest === 2,
      );
    });

    it('numbers concurrent saves without gaps or duplicates', async () => {
      await agents.create('busy', agent('busy', 'v1'), { author: 'ann', source: 'api' });
      const saves = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          agents.save('busy', agent('busy', `body ${i}`), { author: `w${i}`, source: 'api' }),
        ),
      );
      assert.deepEqual(
        saves.map((s) => s.saved.version).sort((a, b) => a - b),
        [2, 3, 4, 5, 6, 7],
      );
      assert.equal((await agents.latest('busy'))?.version, 7);
    });

    it('applies a file at start-up only when the file changed, so API edits survive a restart', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'agents-'));
      const file = join(dir, 'files.yaml');
      writeFileSync(file, 'id: files\nname: From a file\nactions:\n  afterCall: []\n');
      const first = await applyAgentFiles(agents, readAgentSources([dir]));
      assert.deepEqual(
        first.map((o) => [o.change, o.version]),
        [['created', 1]],
      );
      assert.deepEqual(
        (await applyAgentFiles(agents, readAgentSources([dir]))).map((o) => o.change),
        ['unchanged'],
      );
      await agents.save(
        'files',
        { id: 'files', name: 'Edited in the dashboard', actions: { afterCall: [] } },
        { author: 'ann', source: 'api' },
      );
      const restart = await applyAgentFiles(agents, readAgentSources([dir]));
      assert.deepEqual(
        restart.map((o) => [o.change, o.version]),
        [['kept', 2]],
      );
      assert.equal((await agents.latest('files'))?.config.name, 'Edited in the dashboard');
      writeFileSync(file, 'id: files\nname: File changed\nactions:\n  afterCall: []\n');
      const changed = await applyAgentFiles(agents, readAgentSources([dir]));
      assert.deepEqual(
        changed.map((o) => [o.change, o.version]),
        [['updated', 3]],
      );
      assert.match((await agents.latest('files'))?.source ?? '', /^file:.*files\.yaml$/);
    });

    it('lets a second registry on the same store converge by polling', async () => {
      await agents.create('shared', agent('shared', 'one'), { author: 'ann', source: 'api' });
      const a = await AgentRegistry.open(agents, { refreshSeconds: 60 });
      const b = await AgentRegistry.open(agents, { refreshSeconds: 0.2 });
      try {
        assert.equal(b.get('shared')?.version, 1);
        const { saved } = await agents.save('shared', agent('shared', 'two'), {
          author: 'ann',
          source: 'api',
        });
        a.accept(saved);
        assert.equal(a.get('shared')?.version, 2);
        await eventually(
          () => (b.get('shared')?.version === 2 ? true : undefined),
          5000,
          'replica b to see v2',
        );
        assert.equal((b.get('shared')!.actions.afterCall[0] as { body?: string }).body, 'two');
      } finally {
        a.close();
        b.close();
      }
    });
  });
}

describe('calls and agent versions', () => {
  let h: Harness;
  const from = '+14155550142';

  before(async () => {
    h = await startHarness({ agents: [], storeAgents: true });
    assert.equal((await h.api('POST', '/v1/agents', agent('versions', 'from version one'))).status, 201);
  });
  after(async () => {
    await h?.stop();
  });

  const start = (callId: string) =>
    h.api('POST', `/v1/calls/${callId}/events`, {
      agentId: 'versions',
      call: { direction: 'inbound', from, to: '+15557654321' },
      event: event('hello', 1, { type: 'utterance', role: 'caller', text: 'Hello' }),
    });
  const end = (callId: string) =>
    h.api('POST', `/v1/calls/${callId}/events`, { event: event('end', 30, { type: 'ended' }) });

  it('keeps a running call on the version it started with while a new call takes the latest', async () => {
    assert.equal((await start('ver-a')).status, 202);
    const put = await h.api('PUT', '/v1/agents/versions', agent('versions', 'from version two'));
    assert.equal(put.body.version, 2);
    assert.equal((await start('ver-b')).status, 202);
    await end('ver-a');
    await end('ver-b');
    const result = (id: string) => h.client.workflow.getHandle<typeof callWorkflow>(`call-${id}`).result();
    const [a, b]: CallRecord[] = await Promise.all([result('ver-a'), result('ver-b')]);
    const body = (r: CallRecord) =>
      (r.actions.find((x) => x.actionId === 'thanks')!.output as { body: string }).body;
    assert.equal(body(a), 'from version one');
    assert.equal(body(b), 'from version two');
    const listed = await h.api('GET', '/v1/calls?agent=versions');
    const version = (id: string) =>
      listed.body.calls.find((c: { callId: string }) => c.callId === id)?.agentVersion;
    assert.equal(version('ver-a'), 1);
    assert.equal(version('ver-b'), 2);
  });
});
