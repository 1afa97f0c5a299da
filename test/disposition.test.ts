import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { parseAgent } from '../src/config/load-agents';
import { conditionHolds } from '../src/shared/conditions';
import type { callWorkflow } from '../workflows/call';
import { startOpenAiFake } from './kit/fakes/openai-server';
import { event, type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';

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
          { code: 'Wrong Number', when: '{{data.wrong_number}}' },
          { code: 'Qualified Lead', when: '{{data.budget}} >= 1000' },
          // `if`, the rules' former key, still works.
          { code: 'Callback Requested', if: '{{call.transcript}} contains call me back' },
          { code: 'Other', when: '{{actions.never_runs.id}}' },
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
      [[], false],
      [['email'], true],
      ['["email"] contains email', true],
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

describe('disposition rules over how the call went', () => {
  const outcomes = {
    id: 'outcomes',
    name: 'Outcomes',
    transferTargets: { desk: { number: '+14155550100', mode: 'cold' } },
    actions: {
      duringCall: [
        { id: 'transfer', type: 'transfer', args: { target: { type: 'string', required: true } } },
      ],
      afterCall: [
        // Runs only when the call asks for it, and then fails: the address is not allow-listed.
        {
          id: 'crm',
          type: 'http_request',
          when: '{{data.log}}',
          method: 'POST',
          url: 'http://127.0.0.1:9/crm',
        },
        {
          id: 'disposition',
          type: 'set_disposition',
          codes: ['Transferred', 'Unreached', 'CRM Failed', 'Quick Hangup', 'Other'],
          rules: [
            { code: 'Transferred', when: '{{call.transferOutcome}} == answered' },
            { code: 'Unreached', when: '{{call.status}} != completed' },
            { code: 'CRM Failed', when: '{{actions.crm.run.status}} == failed' },
            { code: 'Quick Hangup', when: '{{call.durationSeconds}} < 10' },
          ],
          default: 'Other',
        },
      ],
    },
  };
  let h: Harness;
  before(async () => {
    h = await startHarness({ agents: [outcomes] });
  });
  after(async () => h?.stop());

  const start = { agentId: 'outcomes', call: { direction: 'inbound', from: '+14155550191' } };
  /** An event `seconds` after now, so the call's duration (from its start, now) is about that long. */
  const later = (id: string, seconds: number, fields: Record<string, unknown>) => ({
    id,
    at: new Date(Date.now() + seconds * 1000).toISOString(),
    ...fields,
  });

  async function disposition(callId: string, events: Record<string, unknown>[], endAfterSeconds = 120) {
    const ended = await h.api('POST', `/v1/calls/${callId}/events`, {
      ...start,
      events: [...events, later('end', endAfterSeconds, { type: 'ended' })],
    });
    assert.equal(ended.status, 202, JSON.stringify(ended.body));
    const record = await h.client.workflow.getHandle<typeof callWorkflow>(`call-${callId}`).result();
    return { record, run: record.actions.find((a) => a.actionId === 'disposition')! };
  }

  async function transferTo(callId: string) {
    const res = await h.api('POST', `/v1/calls/${callId}/actions/transfer`, {
      ...start,
      requestId: 'r1',
      args: { target: 'desk' },
    });
    assert.equal(res.body.output?.status, 'instructed', JSON.stringify(res.body));
  }

  it('codes a call whose transfer was answered, and not one whose transfer rang out', async () => {
    await transferTo('out-1');
    const answered = await disposition('out-1', [
      later('t1', 5, { type: 'transfer_status', status: 'ringing' }),
      later('t2', 9, { type: 'transfer_status', status: 'answered' }),
    ]);
    assert.equal(answered.record.disposition, 'Transferred');
    assert.deepEqual(answered.run.output, { code: 'Transferred', rule: 1 });

    await transferTo('out-2');
    const rangOut = await disposition('out-2', [
      later('t1', 25, { type: 'transfer_status', status: 'no-answer' }),
    ]);
    assert.equal(rangOut.record.transfers[0].attempts[0].outcome, 'no_answer');
    assert.equal(rangOut.record.disposition, 'Other');
  });

  it('codes a call by its status', async () => {
    const busy = await h.api('POST', '/v1/calls/out-3/events', {
      ...start,
      event: later('end', 30, { type: 'ended', reason: 'busy' }),
    });
    assert.equal(busy.status, 202);
    const record = await h.client.workflow.getHandle<typeof callWorkflow>('call-out-3').result();
    assert.equal(record.disposition, 'Unreached');
  });

  it('codes a call by an action that failed, reading its run status', async () => {
    const { record } = await disposition('out-4', [later('d', 1, { type: 'data', fields: { log: true } })]);
    assert.equal(record.actions.find((a) => a.actionId === 'crm')?.status, 'failed');
    assert.equal(record.disposition, 'CRM Failed');
  });

  it('codes a call by its duration', async () => {
    const quick = await disposition('out-5', [], 3);
    assert.equal(quick.record.disposition, 'Quick Hangup');
    const full = await disposition('out-6', [], 120);
    assert.equal(full.record.disposition, 'Other');
    assert.equal(full.record.actions.find((a) => a.actionId === 'crm')?.status, 'skipped');
  });
});

describe('the LLM classifier as the last disposition rule', () => {
  // Agents load with a classifier only where a model is configured.
  const saved = { LLM_MODEL: process.env.LLM_MODEL, LLM_BASE_URL: process.env.LLM_BASE_URL };
  before(() => {
    process.env.LLM_MODEL = 'm';
    process.env.LLM_BASE_URL = 'http://127.0.0.1:1/v1';
  });
  after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const classified = (rules: unknown[]) => ({
    id: 'classified',
    name: 'Classified',
    actions: {
      afterCall: [
        { id: 'disposition', type: 'set_disposition', codes, rules, classifier: 'llm', default: 'Other' },
      ],
    },
  });

  it('falls back to the default, saying why, when the model cannot be reached', async () => {
    const h = await startHarness({
      agents: [classified([])],
      deps: {
        // Nothing listens on port 9: every attempt is refused.
        llm: {
          client: new OpenAI({ apiKey: 'sk', baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0 }),
          model: 'm',
        },
      },
    });
    try {
      await h.api('POST', '/v1/calls/llm-down/events', {
        agentId: 'classified',
        events: [event('end', 9, { type: 'ended' })],
      });
      const record = await h.client.workflow.getHandle<typeof callWorkflow>('call-llm-down').result();
      const run = record.actions.find((a) => a.actionId === 'disposition')!;
      assert.equal(run.status, 'completed');
      assert.equal(record.disposition, 'Other');
      const output = run.output as { code: string; rule: string; reason: string };
      assert.equal(output.rule, 'default');
      assert.match(output.reason, /^the classifier failed: LLM request failed/);
    } finally {
      await h.stop();
    }
  });

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
                rules: [{ code: 'Wrong Number', when: '{{data.wrong_number}}' }],
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
