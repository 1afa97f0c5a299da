import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { parseAgent } from '../src/config/load-agents';
import { conditionHolds } from '../src/shared/conditions';
import type { callWorkflow } from '../workflows/call';
import { startOpenAiFake } from './fakes/openai-server';
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
      assert.deepEqual((description.searchAttributes as Record<string, unknown[]>).Disposition, [
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
      assert.equal(res.body.source, 'temporal_visibility');
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
        query: `Disposition = "Qualified Lead" AND CallAgentId = "sales"`,
      })) {
        found.push(wf.workflowId);
      }
      assert.ok(found.includes('call-disp-1'), found.join(', '));
    });
  });
});

describe('the LLM classifier as the last disposition rule', () => {
  it('asks the model only when no rule holds, and keeps its answer within the configured codes', async () => {
    const fake = await startOpenAiFake({ apiKey: 'sk-disp' });
    const h = await startHarness({
      agents: [
        {
          id: 'classified',
          name: 'Classified',
          actions: {
            afterCall: [
              {
                id: 'disposition',
                type: 'set_disposition',
                codes,
                rules: [{ code: 'Wrong Number', if: '{{data.wrong_number}}' }],
                classifier: 'llm',
                default: 'Other',
              },
            ],
          },
        },
      ],
      deps: {
        llm: { client: new OpenAI({ apiKey: 'sk-disp', baseURL: fake.baseURL, maxRetries: 0 }), model: 'm' },
      },
    });
    try {
      const run = async (callId: string, events: Record<string, unknown>[]) => {
        await h.api('POST', `/v1/calls/${callId}/events`, {
          agentId: 'classified',
          events: [...events, event('end', 9, { type: 'ended' })],
        });
        return h.client.workflow.getHandle<typeof callWorkflow>(`call-${callId}`).result();
      };
      fake.reply({ code: 'Callback Requested' });
      const asked = await run('llm-1', [
        event('u', 1, { type: 'utterance', role: 'caller', text: 'Ring me later.' }),
      ]);
      assert.equal(asked.disposition, 'Callback Requested');
      assert.match(fake.requests[0].body.messages[1].content, /caller: Ring me later\./);
      assert.equal(fake.requests[0].body.response_format?.json_schema?.strict, true);

      fake.reply({ code: 'Invented Code' });
      assert.equal((await run('llm-2', [])).disposition, 'Other');

      const byRule = await run('llm-3', [event('d', 1, { type: 'data', fields: { wrong_number: true } })]);
      assert.equal(byRule.disposition, 'Wrong Number');
      assert.equal(fake.requests.length, 2, 'a rule that holds needs no model');
    } finally {
      await h.stop();
      await fake.close();
    }
  });
});
