import assert from 'node:assert/strict';
import YAML from 'yaml';
import { startCustomerApi } from './kit/customer-api';
import { type Harness, startHarness } from './kit/harness';

function shopAgent(apiUrl: string) {
  return {
    id: 'shop',
    name: 'Shop line',
    network: { allowPrivate: ['127.0.0.1'] },
    actions: {
      duringCall: [
        {
          id: 'lookup_order',
          type: 'http_request',
          args: { order_id: { type: 'string', required: true } },
          url: `${apiUrl}/orders/{{args.order_id}}`,
          output: { order_status: 'body.status' },
        },
      ],
      afterCall: [
        {
          id: 'open_ticket',
          type: 'http_request',
          method: 'POST',
          url: `${apiUrl}/tickets`,
          body: { call: '{{call.id}}', status: '{{actions.lookup_order.order_status}}' },
          output: { ticket: 'body.ticket' },
        },
        {
          id: 'follow_up',
          type: 'send_sms',
          to: '{{call.from}}',
          body: 'Your order is {{actions.lookup_order.order_status}}, ticket {{actions.open_ticket.ticket}}.',
        },
      ],
    },
  };
}

describe('agent store API', () => {
  let h: Harness;
  let customer: Awaited<ReturnType<typeof startCustomerApi>>;
  let shop: ReturnType<typeof shopAgent>;
  const as = (author: string) => ({ 'x-callflow-author': author });

  before(async () => {
    customer = await startCustomerApi();
    shop = shopAgent(customer.url);
    h = await startHarness({ agents: [], storeAgents: true, noWorker: true });
    const created = await h.api('POST', '/v1/agents', shop, as('alice'));
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
  after(async () => {
    await h?.stop();
    await customer?.close();
  });

  describe('agents', () => {
    it('creates an agent as version 1 and refuses the same id again', async () => {
      const again = await h.api('POST', '/v1/agents', shop);
      assert.equal(again.status, 409);
      assert.equal(again.body.details[0].field, 'id');
      const one = await h.api('GET', '/v1/agents/shop');
      assert.equal(one.status, 200);
      assert.deepEqual(one.body.agent, shop);
      assert.equal(one.body.version, 1);
      assert.equal(one.body.updatedBy, 'alice');
      assert.ok(!Number.isNaN(Date.parse(one.body.updatedAt)));
    });

    it('lists agents with their latest version and action counts', async () => {
      const list = await h.api('GET', '/v1/agents');
      const entry = list.body.agents.find((a: { id: string }) => a.id === 'shop');
      assert.equal(entry.name, 'Shop line');
      assert.equal(typeof entry.version, 'number');
      assert.deepEqual(entry.actions, { duringCall: 1, afterCall: 2 });
    });

    it('refuses an invalid config with the field named, and saves nothing', async () => {
      const bad = structuredClone(shop) as any;
      bad.id = 'broken';
      delete bad.actions.afterCall[1].body;
      const res = await h.api('POST', '/v1/agents', bad);
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.details, [{ field: 'actions.afterCall[1].body', message: 'required' }]);
      assert.equal((await h.api('GET', '/v1/agents/broken')).status, 404);
    });

    it('refuses a config nested deeper than 32 levels with 400, instead of overflowing the stack', async () => {
      // Sent as text: a value this deep overflows JSON.stringify too.
      const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
      const text = JSON.stringify({ ...shop, id: 'deep' }).replace(/}$/, `,"metadata":${deep}}`);
      const res = await h.api('POST', '/v1/agents', text, { 'content-type': 'application/json' });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.details, [{ field: '(body)', message: 'nested more than 32 levels deep' }]);
      assert.equal((await h.api('GET', '/v1/agents/deep')).status, 404);
    });

    it('gives new calls the latest version through the registry', async () => {
      const renamed = { ...shop, name: 'Shop line (registry)' };
      const put = await h.api('PUT', '/v1/agents/shop', renamed);
      assert.equal(put.status, 200);
      const agent = h.calls.agent('shop') as { name: string; version?: number };
      assert.equal(agent.name, 'Shop line (registry)');
      assert.equal(agent.version, put.body.version);
    });
  });

  describe('versions', () => {
    let agentId: string;
    beforeEach(async () => {
      agentId = `ver-${Math.random().toString(36).slice(2, 8)}`;
      assert.equal((await h.api('POST', '/v1/agents', { ...shop, id: agentId }, as('alice'))).status, 201);
    });

    it('saves every change as a new version, newest first, with author and note', async () => {
      const v2 = await h.api(
        'PUT',
        `/v1/agents/${agentId}`,
        { ...shop, id: agentId, name: 'Two' },
        {
          ...as('bob'),
          'x-callflow-note': 'renamed',
        },
      );
      assert.equal(v2.status, 200);
      assert.equal(v2.body.version, 2);
      assert.equal(v2.body.agent.name, 'Two');
      const versions = await h.api('GET', `/v1/agents/${agentId}/versions`);
      assert.deepEqual(
        versions.body.versions.map((v: any) => [v.version, v.author, v.note]),
        [
          [2, 'bob', 'renamed'],
          [1, 'alice', null],
        ],
      );
      const first = await h.api('GET', `/v1/agents/${agentId}/versions/1`);
      assert.equal(first.body.agent.name, 'Shop line');
      assert.equal(first.body.version, 1);
      assert.equal((await h.api('GET', `/v1/agents/${agentId}/versions/9`)).status, 404);
    });

    it('refuses a save based on a stale version (If-Match)', async () => {
      const base = { ...shop, id: agentId };
      const first = await h.api('PUT', `/v1/agents/${agentId}`, { ...base, name: 'A' }, { 'if-match': '1' });
      assert.equal(first.status, 200);
      assert.equal(first.body.version, 2);
      const stale = await h.api('PUT', `/v1/agents/${agentId}`, { ...base, name: 'B' }, { 'if-match': '1' });
      assert.equal(stale.status, 409);
      assert.match(stale.body.error, /is at version 2, not 1/);
      assert.equal(stale.body.details[0].field, 'If-Match');
      assert.equal((await h.api('GET', `/v1/agents/${agentId}`)).body.agent.name, 'A');
    });

    it('restores an earlier version as a new version', async () => {
      await h.api('PUT', `/v1/agents/${agentId}`, { ...shop, id: agentId, name: 'Changed' });
      const restored = await h.api('POST', `/v1/agents/${agentId}/versions/1/restore`, {}, as('carol'));
      assert.equal(restored.status, 200);
      assert.equal(restored.body.version, 3);
      assert.equal(restored.body.agent.name, 'Shop line');
      const latest = await h.api('GET', `/v1/agents/${agentId}`);
      assert.equal(latest.body.version, 3);
      assert.equal(latest.body.updatedBy, 'carol');
      const versions = await h.api('GET', `/v1/agents/${agentId}/versions`);
      assert.equal(versions.body.versions[0].note, 'restored from version 1');
    });
  });

  describe('actions', () => {
    let agentId: string;
    beforeEach(async () => {
      agentId = `act-${Math.random().toString(36).slice(2, 8)}`;
      assert.equal((await h.api('POST', '/v1/agents', { ...shop, id: agentId })).status, 201);
    });

    it('adds an action at a position, replaces it, and deletes it', async () => {
      const note = { id: 'note', type: 'crm_log', provider: 'dry-run', summary: 'Call {{call.id}}' };
      const added = await h.api('POST', `/v1/agents/${agentId}/actions/afterCall?position=0`, note);
      assert.equal(added.status, 200, JSON.stringify(added.body));
      assert.equal(added.body.version, 2);
      assert.deepEqual(
        added.body.agent.actions.afterCall.map((a: any) => a.id),
        ['note', 'open_ticket', 'follow_up'],
      );
      const replaced = await h.api('PUT', `/v1/agents/${agentId}/actions/afterCall/note`, {
        type: 'crm_log',
        provider: 'dry-run',
        summary: 'Changed',
      });
      assert.equal(replaced.body.version, 3);
      assert.equal(replaced.body.agent.actions.afterCall[0].summary, 'Changed');
      assert.equal(replaced.body.agent.actions.afterCall[0].id, 'note');
      const deleted = await h.api('DELETE', `/v1/agents/${agentId}/actions/afterCall/note`);
      assert.equal(deleted.body.version, 4);
      assert.equal(deleted.body.agent.actions.afterCall.length, 2);
      assert.equal((await h.api('DELETE', `/v1/agents/${agentId}/actions/afterCall/note`)).status, 404);
    });

    it('refuses to delete an action another one uses, naming where it is used', async () => {
      const res = await h.api('DELETE', `/v1/agents/${agentId}/actions/afterCall/open_ticket`);
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.details, [
        {
          field: 'actions.afterCall[0].body',
          message: '{{actions.open_ticket.ticket}}: there is no action "open_ticket"',
        },
      ]);
    });

    it('refuses an action whose settings are invalid, naming the setting', async () => {
      const res = await h.api('POST', `/v1/agents/${agentId}/actions/afterCall`, {
        id: 'text',
        type: 'send_sms',
        body: 'hi',
        colour: 'red',
      });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.details, [
        { field: 'actions.afterCall[2].colour', message: 'unknown setting' },
      ]);
    });

    it('refuses a reorder that would make an action use a later one, and says which', async () => {
      const res = await h.api('POST', `/v1/agents/${agentId}/actions/afterCall/reorder`, {
        order: ['follow_up', 'open_ticket'],
      });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.details, [
        {
          field: 'order',
          message:
            '"follow_up" uses the output of "open_ticket" (body: {{actions.open_ticket.ticket}}), so "open_ticket" must come before "follow_up"',
        },
      ]);
      assert.equal((await h.api('GET', `/v1/agents/${agentId}`)).body.version, 1);
    });

    it('reorders when the order is valid, and refuses an order that is not a permutation', async () => {
      await h.api('POST', `/v1/agents/${agentId}/actions/afterCall`, {
        id: 'note',
        type: 'crm_log',
        provider: 'dry-run',
      });
      const ok = await h.api('POST', `/v1/agents/${agentId}/actions/afterCall/reorder`, {
        order: ['note', 'open_ticket', 'follow_up'],
      });
      assert.equal(ok.status, 200);
      assert.deepEqual(
        ok.body.agent.actions.afterCall.map((a: any) => a.id),
        ['note', 'open_ticket', 'follow_up'],
      );
      const partial = await h.api('POST', `/v1/agents/${agentId}/actions/afterCall/reorder`, {
        order: ['note', 'note', 'open_ticket'],
      });
      assert.equal(partial.status, 400);
      assert.equal(partial.body.details[0].field, 'order');
      assert.match(partial.body.details[0].message, /missing "follow_up"; listed twice: "note"/);
    });
  });

  describe('validate', () => {
    it('accepts a valid config without saving it', async () => {
      const res = await h.api('POST', '/v1/agents/shop/validate', { ...shop, name: 'Not saved' });
      assert.deepEqual(res, { status: 200, body: { ok: true } });
      assert.notEqual((await h.api('GET', '/v1/agents/shop')).body.agent.name, 'Not saved');
    });

    it('reports an invalid order inline, as the loader words it', async () => {
      const swapped = structuredClone(shop);
      swapped.actions.afterCall.reverse();
      const res = await h.api('POST', '/v1/agents/shop/validate', swapped);
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.details, [
        {
          field: 'actions.afterCall[0].body',
          message: '{{actions.open_ticket.ticket}}: "open_ticket" runs later in the after-call stage',
        },
      ]);
    });
  });

  describe('agent schema', () => {
    it('serves the JSON Schema of an agent config, as the forms read it', async () => {
      const res = await h.api('GET', '/v1/agent-schema');
      assert.equal(res.status, 200);
      const target = res.body.properties.transferTargets.additionalProperties;
      assert.deepEqual(target.properties.mode.enum, ['warm', 'cold']);
      assert.deepEqual(Object.keys(target.properties.hours.properties.weekly.properties), [
        'sun',
        'mon',
        'tue',
        'wed',
        'thu',
        'fri',
        'sat',
      ]);
      assert.deepEqual(res.body.properties.scheduling.properties.provider.enum, [
        'builtin',
        'google',
        'outlook',
        'calcom',
      ]);
      assert.deepEqual(res.body.required, ['id', 'name', 'actions']);
    });

    it('names the weekday and the time zone of bad business hours', async () => {
      const res = await h.api('POST', '/v1/agents/shop/validate', {
        ...shop,
        transferTargets: {
          sales: {
            number: '+14155550100',
            hours: { timezone: 'Mars/Olympus', weekly: { mon: ['09:00-17:00'], tue: ['17:00-09:00'] } },
          },
        },
      });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.details, [
        { field: 'transferTargets.sales.hours.timezone', message: '"Mars/Olympus" is not an IANA time zone' },
        {
          field: 'transferTargets.sales.hours.weekly.tue',
          message: '"17:00-09:00" must start before it ends, within one day',
        },
      ]);
    });
  });

  describe('action types', () => {
    it('describes every type with the JSON Schema of its settings', async () => {
      const res = await h.api('GET', '/v1/action-types');
      const sms = res.body.types.find((t: any) => t.type === 'send_sms');
      assert.equal(sms.settingsSchema.type, 'object');
      assert.ok(sms.settingsSchema.required.includes('body'));
      assert.equal(sms.settingsSchema.properties.to.default, '{{call.customer}}');
      assert.deepEqual(sms.stages, ['duringCall', 'afterCall']);
      const crm = res.body.types.find((t: any) => t.type === 'crm_log');
      assert.deepEqual(crm.stages, ['afterCall']);
      assert.ok(res.body.types.length >= 11);
      assert.ok(res.body.common.properties.onError);
    });
  });

  describe('try', () => {
    it('renders a text with sample outputs and sends it to the dry-run sender', async () => {
      const res = await h.api('POST', '/v1/agents/shop/actions/afterCall/follow_up/try', {
        call: {
          from: '+14155550142',
          actions: { lookup_order: { order_status: 'shipped' }, open_ticket: { ticket: 'T-9' } },
        },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.rendered.body, 'Your order is shipped, ticket T-9.');
      assert.equal(res.body.rendered.to, '+14155550142');
      assert.equal(res.body.result.status, 'completed');
      assert.equal(res.body.result.output.provider, 'dry-run');
      assert.equal(res.body.result.output.status, 'not_sent');
      assert.deepEqual(res.body.assumedEmpty, []);
    });

    it('shows the rendered request of an http_request without sending it', async () => {
      const before = customer.requests.length;
      const res = await h.api('POST', '/v1/agents/shop/actions/duringCall/lookup_order/try', {
        args: { order_id: 'A-7' },
      });
      assert.equal(res.body.rendered.url, `${customer.url}/orders/A-7`);
      assert.equal(res.body.result.status, 'not_sent');
      assert.equal(customer.requests.length, before);
    });

    it('sends the request when asked, through the agent network policy', async () => {
      const res = await h.api('POST', '/v1/agents/shop/actions/duringCall/lookup_order/try', {
        args: { order_id: 'A-8' },
        send: true,
      });
      assert.equal(res.body.result.status, 'completed', JSON.stringify(res.body));
      assert.deepEqual(res.body.result.output, { order_status: 'status-of-A-8' });
      assert.equal(customer.requests.at(-1)?.url, '/orders/A-8');
    });

    it('refuses missing tool-call arguments, naming them', async () => {
      const res = await h.api('POST', '/v1/agents/shop/actions/duringCall/lookup_order/try', {});
      assert.equal(res.status, 400);
      assert.equal(res.body.details[0].field, 'args.order_id');
    });
  });

  describe('try an action that is not saved', () => {
    const versionsOf = async (id: string) =>
      (await h.api('GET', `/v1/agents/${id}/versions`)).body.versions.length;

    it('renders an action given in the body against the saved agent, and saves nothing', async () => {
      const before = await versionsOf('shop');
      const res = await h.api('POST', '/v1/agents/shop/actions/afterCall/try', {
        action: {
          id: 'thank_you',
          type: 'send_sms',
          body: 'Thanks! Ticket {{actions.open_ticket.ticket}} is open for {{call.from}}.',
        },
        call: { from: '+14155550142', actions: { open_ticket: { ticket: 'T-41' } } },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.rendered.body, 'Thanks! Ticket T-41 is open for +14155550142.');
      assert.equal(res.body.rendered.to, '+14155550142');
      assert.deepEqual(res.body.result, {
        status: 'completed',
        output: res.body.result.output,
        dryRun: true,
      });
      assert.equal(res.body.result.output.provider, 'dry-run');
      assert.equal(res.body.result.output.status, 'not_sent');
      // Placed at the end of the stage: every earlier action without a sample output is assumed empty.
      assert.deepEqual(res.body.assumedEmpty, ['lookup_order', 'follow_up']);
      assert.equal(typeof res.body.version, 'number');
      assert.equal(await versionsOf('shop'), before);
      const saved = (await h.api('GET', '/v1/agents/shop')).body.agent;
      assert.ok(!saved.actions.afterCall.some((a: { id: string }) => a.id === 'thank_you'));
    });

    it('tries an edited action in place of the saved one with that id, and sends it only when asked', async () => {
      const edited = {
        id: 'lookup_order',
        type: 'http_request',
        args: {
          order_id: { type: 'string', required: true },
          region: { type: 'string', enum: ['eu', 'us'] },
        },
        url: `${customer.url}/orders/{{args.region}}-{{args.order_id}}`,
        headers: { 'x-region': '{{args.region}}' },
        output: { order_status: 'body.status', eta: 'body.eta' },
      };
      const count = customer.requests.length;
      const shown = await h.api('POST', '/v1/agents/shop/actions/duringCall/try', {
        action: edited,
        args: { order_id: 'A-9', region: 'eu' },
      });
      assert.equal(shown.status, 200, JSON.stringify(shown.body));
      assert.equal(shown.body.rendered.url, `${customer.url}/orders/eu-A-9`);
      assert.equal(shown.body.rendered.method, 'GET');
      assert.deepEqual(shown.body.rendered.headers, { 'x-region': 'eu' });
      assert.equal(shown.body.result.status, 'not_sent');
      assert.equal(customer.requests.length, count);

      const sent = await h.api('POST', '/v1/agents/shop/actions/duringCall/try', {
        action: edited,
        args: { order_id: 'A-9', region: 'eu' },
        send: true,
      });
      assert.equal(sent.body.result.status, 'completed', JSON.stringify(sent.body));
      assert.deepEqual(sent.body.result.output, { order_status: 'status-of-eu-A-9', eta: '2 days' });
      assert.equal(customer.requests.at(-1)?.url, '/orders/eu-A-9');
      assert.equal(customer.requests.at(-1)?.headers['x-region'], 'eu');
    });

    it("renders {{service.url}} as the service's own address", async () => {
      const action = {
        id: 'lookup_demo',
        type: 'http_request',
        args: { order_id: { type: 'string', required: true } },
        url: '{{service.url}}/demo/orders/{{args.order_id}}',
      };
      const shown = await h.api('POST', '/v1/agents/shop/actions/duringCall/try', {
        action,
        args: { order_id: 'A-1001' },
      });
      assert.equal(shown.status, 200, JSON.stringify(shown.body));
      assert.equal(shown.body.rendered.url, `${h.url}/demo/orders/A-1001`);
    });

    it('tries an action inside an unsaved draft of the agent, at the position given', async () => {
      const draft = structuredClone(shop) as any;
      draft.actions.afterCall.unshift({
        id: 'score',
        type: 'http_request',
        method: 'POST',
        url: `${customer.url}/tickets`,
        output: { score: 'body.ticket' },
      });
      const action = {
        id: 'rate',
        type: 'crm_log',
        provider: 'dry-run',
        summary: 'Score {{actions.score.score}}',
      };
      const inDraft = await h.api('POST', '/v1/agents/shop/actions/afterCall/try', {
        agent: draft,
        action,
        position: 1,
        call: { actions: { score: { score: 'S-3' } } },
      });
      assert.equal(inDraft.status, 200, JSON.stringify(inDraft.body));
      assert.equal(inDraft.body.rendered.summary, 'Score S-3');
      assert.equal(inDraft.body.result.status, 'completed');
      assert.equal(inDraft.body.version, null, 'a draft is no saved version');
      assert.deepEqual(inDraft.body.assumedEmpty, ['lookup_order']);

      // The saved agent has no "score", so the same action is refused there, naming its field.
      const inSaved = await h.api('POST', '/v1/agents/shop/actions/afterCall/try', { action });
      assert.equal(inSaved.status, 400);
      assert.deepEqual(inSaved.body.details, [
        { field: 'action.summary', message: '{{actions.score.score}}: there is no action "score"' },
      ]);
    });

    it('refuses an invalid action with 400, naming each field as sent in the body', async () => {
      const before = await versionsOf('shop');
      const bad = await h.api('POST', '/v1/agents/shop/actions/afterCall/try', {
        action: { id: 'text', type: 'send_sms', colour: 'red' },
      });
      assert.equal(bad.status, 400);
      assert.deepEqual(
        [...bad.body.details].sort((a: any, b: any) => a.field.localeCompare(b.field)),
        [
          { field: 'action.body', message: 'required' },
          { field: 'action.colour', message: 'unknown setting' },
        ],
      );
      assert.match(bad.body.error, /action\.body/);

      const unknownType = await h.api('POST', '/v1/agents/shop/actions/afterCall/try', {
        action: { id: 'x', type: 'fax' },
      });
      assert.equal(unknownType.status, 400);
      assert.equal(unknownType.body.details[0].field, 'action.type');
      assert.match(unknownType.body.details[0].message, /unknown action type "fax"/);

      const noAction = await h.api('POST', '/v1/agents/shop/actions/afterCall/try', { args: {} });
      assert.equal(noAction.status, 400);
      assert.deepEqual(noAction.body.details, [
        { field: 'action', message: noAction.body.details[0].message },
      ]);

      const tooFar = await h.api('POST', '/v1/agents/shop/actions/afterCall/try', {
        action: { id: 'note', type: 'crm_log', provider: 'dry-run' },
        position: 9,
      });
      assert.equal(tooFar.status, 400);
      assert.deepEqual(tooFar.body.details, [{ field: 'position', message: '0 to 2' }]);

      const draftBroken = structuredClone(shop) as any;
      delete draftBroken.actions.afterCall[1].body;
      const inBrokenDraft = await h.api('POST', '/v1/agents/shop/actions/afterCall/try', {
        agent: draftBroken,
        action: { id: 'note', type: 'crm_log', provider: 'dry-run' },
      });
      assert.equal(inBrokenDraft.status, 400);
      assert.deepEqual(inBrokenDraft.body.details, [
        { field: 'agent.actions.afterCall[1].body', message: 'required' },
      ]);

      const otherId = await h.api('POST', '/v1/agents/shop/actions/afterCall/try', {
        agent: { ...shop, id: 'elsewhere' },
        action: { id: 'note', type: 'crm_log', provider: 'dry-run' },
      });
      assert.equal(otherId.status, 400);
      assert.equal(otherId.body.details[0].field, 'agent.id');

      const wrongStage = await h.api('POST', '/v1/agents/shop/actions/atNight/try', {
        action: { id: 'note', type: 'crm_log', provider: 'dry-run' },
      });
      assert.equal(wrongStage.status, 400);
      assert.equal(wrongStage.body.details[0].field, 'stage');
      assert.equal(await versionsOf('shop'), before);
    });

    it("refuses a draft during-call action's missing arguments, naming them", async () => {
      const res = await h.api('POST', '/v1/agents/shop/actions/duringCall/try', {
        action: {
          id: 'check_stock',
          type: 'http_request',
          args: { sku: { type: 'string', required: true } },
          url: `${customer.url}/stock/{{args.sku}}`,
        },
        args: { colour: 'red' },
      });
      assert.equal(res.status, 400);
      assert.ok(
        res.body.details.some((d: any) => d.field === 'args.sku'),
        JSON.stringify(res.body),
      );
    });

    it('answers 404 for an unknown agent', async () => {
      const res = await h.api('POST', '/v1/agents/nobody/actions/afterCall/try', {
        action: { id: 'note', type: 'crm_log', provider: 'dry-run' },
      });
      assert.equal(res.status, 404);
      assert.equal(res.body.details[0].field, 'id');
    });
  });
  describe('agent files (apply and export)', () => {
    const yaml = { 'content-type': 'application/yaml' };
    const apply = (text: string, headers: Record<string, string> = {}, query = '') =>
      h.api('POST', `/v1/agents/apply${query}`, text, { ...yaml, ...headers });
    async function exportText(query = '', accept = 'application/yaml') {
      const res = await fetch(`${h.url}/v1/agents/export${query}`, {
        headers: { authorization: `Bearer ${h.token}`, accept },
      });
      return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
    }
    async function versionCounts(): Promise<Record<string, number>> {
      const counts: Record<string, number> = {};
      for (const { id } of (await h.api('GET', '/v1/agents')).body.agents)
        counts[id] = (await h.api('GET', `/v1/agents/${id}/versions`)).body.versions.length;
      return counts;
    }
    const fileAgent = (id: string, name = `Desk ${id}`) => ({
      id,
      name,
      actions: {
        duringCall: [],
        afterCall: [{ id: 'disposition', type: 'set_disposition', codes: ['A', 'B'], default: 'A' }],
      },
    });
    const asYaml = (...agents: unknown[]) => agents.map((a) => YAML.stringify(a)).join('---\n');

    before(async () => {
      const created = await apply(asYaml(fileAgent('desk-a'), fileAgent('desk-b')), as('carol'));
      assert.equal(created.status, 200, JSON.stringify(created.body));
      assert.deepEqual(created.body.created, ['desk-a', 'desk-b']);
    });

    it('exports every agent as YAML that applies back without a new version', async () => {
      const exported = await exportText();
      assert.equal(exported.status, 200);
      assert.match(exported.type, /^application\/yaml/);
      const before = await versionCounts();
      const again = await apply(exported.text);
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.deepEqual(again.body.created, []);
      assert.deepEqual(again.body.updated, []);
      assert.deepEqual(again.body.unchanged.sort(), Object.keys(before).sort());
      assert.deepEqual(await versionCounts(), before);
    });

    it('gives a changed agent one new version, by the author in the header, and leaves the rest', async () => {
      const before = await versionCounts();
      const res = await apply(asYaml(fileAgent('desk-a', 'Front desk'), fileAgent('desk-b')), {
        ...as('dave'),
        'x-callflow-note': 'from git',
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.updated, ['desk-a']);
      assert.deepEqual(res.body.unchanged, ['desk-b']);
      const a = res.body.agents.find((o: { id: string }) => o.id === 'desk-a');
      assert.deepEqual(a, {
        id: 'desk-a',
        change: 'updated',
        version: before['desk-a'] + 1,
        previousVersion: before['desk-a'],
      });
      assert.deepEqual(await versionCounts(), { ...before, 'desk-a': before['desk-a'] + 1 });
      const latest = (await h.api('GET', '/v1/agents/desk-a/versions')).body.versions[0];
      assert.equal(latest.author, 'dave');
      assert.equal(latest.note, 'from git');
      assert.equal((h.calls.agent('desk-a') as { name: string }).name, 'Front desk');
    });

    it('answers what a dry run would change, and writes nothing', async () => {
      const before = await versionCounts();
      const res = await apply(
        asYaml(fileAgent('desk-b', 'Renamed'), fileAgent('desk-new')),
        {},
        '?dryRun=true',
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.dryRun, true);
      assert.deepEqual([res.body.created, res.body.updated], [['desk-new'], ['desk-b']]);
      assert.deepEqual(await versionCounts(), before);
      assert.equal((await h.api('GET', '/v1/agents/desk-new')).status, 404);
    });

    it('refuses YAML that does not parse with 400 naming the line, and writes nothing', async () => {
      const before = await versionCounts();
      const res = await apply('id: desk-a\nname: [unclosed\nactions: {}\n');
      assert.equal(res.status, 400);
      assert.equal(res.body.details[0].field, '(body)');
      assert.match(res.body.error, /not valid YAML: .*line \d+, column \d+/);
      assert.deepEqual(await versionCounts(), before);
    });

    it('applies nothing when one agent in the file is invalid, naming the agent and the field', async () => {
      const before = await versionCounts();
      const broken = fileAgent('desk-c') as any;
      delete broken.actions.afterCall[0].codes;
      const res = await apply(asYaml(fileAgent('desk-a', 'Changed again'), broken, fileAgent('desk-a')));
      assert.equal(res.status, 400);
      assert.match(res.body.error, /nothing applied: desk-c, desk-a/);
      assert.deepEqual(res.body.details, [
        { field: 'agents[1].actions.afterCall[0].codes', message: 'agent "desk-c": required' },
        { field: 'agents[2].id', message: 'agent "desk-a": agents[0] defines it too' },
      ]);
      assert.deepEqual(await versionCounts(), before);
      assert.equal((await h.api('GET', '/v1/agents/desk-c')).status, 404);
      assert.notEqual((await h.api('GET', '/v1/agents/desk-a')).body.agent.name, 'Changed again');
    });

    it('takes JSON as the CLI exports it, and exports one agent as JSON', async () => {
      const exported = await exportText('?agent=desk-b', 'application/json');
      assert.equal(exported.status, 200);
      assert.match(exported.type, /^application\/json/);
      const body = JSON.parse(exported.text);
      assert.deepEqual(body, { agents: [fileAgent('desk-b')] });
      const res = await h.api('POST', '/v1/agents/apply', body);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.unchanged, ['desk-b']);
    });

    it('refuses other body types, unknown agents and reserved ids, naming the field', async () => {
      const plain = await h.api('POST', '/v1/agents/apply', 'id: x', { 'content-type': 'text/plain' });
      assert.equal(plain.status, 415);
      assert.equal(plain.body.details[0].field, 'content-type');
      const yamlElsewhere = await h.api('POST', '/v1/agents', 'id: x', yaml);
      assert.equal(yamlElsewhere.status, 415);
      const unknown = await exportText('?agent=nobody');
      assert.equal(unknown.status, 404);
      assert.equal(JSON.parse(unknown.text).details[0].field, 'agent');
      const reserved = await apply(asYaml(fileAgent('export')));
      assert.equal(reserved.status, 400);
      assert.equal(reserved.body.details[0].field, 'agents[0].id');
      const badFlag = await apply(asYaml(fileAgent('desk-a')), {}, '?dryRun=maybe');
      assert.equal(badFlag.status, 400);
      assert.equal(badFlag.body.details[0].field, 'dryRun');
    });
  });
});
