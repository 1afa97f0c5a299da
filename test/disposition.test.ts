import assert from 'node:assert/strict';
import { parseAgent } from '../src/config/load-agents';
import { conditionHolds } from '../src/shared/conditions';
import type { callWorkflow } from '../workflows/call';
import { event, type Harness, startHarness } from './support/harness';
import { eventually } from './support/temporal';

const codes = ['Qualified Lead', 'Wrong Number', 'Callback Requested', 'Other'];
const agent = {
  id: 'sales',
  name: 'Sales line',
  actions: {
    afterCall: [
      { id: 'never_runs', type: 'http_request', when: '{{data.nope}}', url: 'http://127.0.0.1:9/x' },
      {
        id: 'disposition',
        type: 'set_disposition',
        codes,
        rules: [
          { code: 'Wrong Number', if: '{{data.wrong_number}}' },
          { code: 'Qualified Lead', if: '{{data.budget}} >= 1000' },
          { code: 'Callback Requested', if: '{{call.transcript}} contains call me back' },
          { code: 'Other', if: '{{actions.never_runs.id}}' },
        ],
        default: 'Other',
      },
    ],
  },
};

describe('disposition codes', () => {
  describe('rule conditions', () => {
    const table: [unknown, boolean][] = [
      ['1500 >= 1000', true],
      ['999 >= 1000', false],
      [' >= 1000', false],
      ['abc > 1', false],
      ['Gold == gold', true],
      ['"gold" != silver', true],
      ['caller: please call me back contains call me back', true],
      ['true', true],
      ['', false],
    ];
    for (const [input, expected] of table) {
      it(`${JSON.stringify(input)} is ${expected}`, () => assert.equal(conditionHolds(input), expected));
    }
  });

  it('refuses rules that name a code the agent does not have', () => {
    const bad = structuredClone(agent);
    (bad.actions.afterCall[1] as { default: string }).default = 'Sold';
    assert.throws(() => parseAgent(bad), /field "default": "Sold" is not one of codes/);
  });

  describe('on a call', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ agents: [agent] });
    });
    after(async () => h?.stop());

    async function finish(callId: string, events: Record<string, unknown>[]) {
      await h.api('POST', `/v1/calls/${callId}/events`, {
        agentId: 'sales',
        call: { direction: 'inbound', from: '+14155550191' },
        events: [...events, event('end', 50, { type: 'ended' })],
      });
      const handle = h.client.workflow.getHandle<typeof callWorkflow>(`call-${callId}`);
      return { record: await handle.result(), description: await handle.describe() };
    }

    it('takes the first rule that holds and writes the code to the record and the search attribute', async () => {
      const { record, description } = await finish('disp-1', [
        event('d', 1, { type: 'data', fields: { budget: 2500 } }),
      ]);
      assert.equal(record.disposition, 'Qualified Lead');
      const disposition = record.actions.find((a) => a.actionId === 'disposition')!;
      assert.deepEqual(disposition.output, { code: 'Qualified Lead', rule: 2 });
      assert.deepEqual((description.searchAttributes as Record<string, unknown[]>).CallDisposition, [
        'Qualified Lead',
      ]);
    });

    it('falls through the rules in order to the default', async () => {
      const callback = await finish('disp-2', [
        event('u', 1, { type: 'utterance', role: 'caller', text: 'Busy now, please call me back tomorrow.' }),
      ]);
      assert.equal(callback.record.disposition, 'Callback Requested');
      const other = await finish('disp-3', [event('d', 1, { type: 'data', fields: { budget: 200 } })]);
      assert.equal(other.record.disposition, 'Other');
    });

    it('counts calls per code from Temporal visibility', async () => {
      const res = await eventually(async () => {
        const r = await h.api('GET', '/v1/analytics/dispositions?agent=sales');
        return r.body.counts?.['Qualified Lead'] >= 1 && r.body.counts?.Other >= 1 ? r : undefined;
      });
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.body.counts).sort(), [...codes].sort());
      assert.equal(res.body.counts['Wrong Number'], 0);
      assert.ok(res.body.total >= 3);
      const bad = await h.api('GET', '/v1/analytics/dispositions?agent=sales&from=yesterday');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.details[0].field, 'from');
      assert.equal((await h.api('GET', '/v1/analytics/dispositions?agent=nobody')).status, 404);
    });

    it('can be found in Temporal by disposition', async () => {
      const found: string[] = [];
      for await (const wf of h.client.workflow.list({
        query: `CallDisposition = "Qualified Lead" AND CallAgentId = "sales"`,
      })) {
        found.push(wf.workflowId);
      }
      assert.ok(found.includes('call-disp-1'), found.join(', '));
    });
  });
});
