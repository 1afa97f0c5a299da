import assert from 'node:assert/strict';
import { callStateQuery, type callWorkflow } from '../workflows/call';
import { event, type Harness, startHarness } from './kit/harness';

const agent = {
  id: 'outbound',
  name: 'Outbound caller',
  actions: {
    duringCall: [
      {
        id: 'navigate',
        type: 'ivr_navigate',
        args: { prompt: { type: 'string' } },
        goal: 'billing',
        prompt: '{{args.prompt}}',
        data: { account_number: '{{data.account}}' },
      },
    ],
  },
};

describe('IVR navigation on a platform that presses keys itself', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ agents: [agent] });
  });
  after(async () => h?.stop());

  it('answers each prompt with the next key press, fills known data and hands over when a person answers', async () => {
    const start = { agentId: 'outbound', call: { direction: 'outbound', to: '+14155550111' } };
    await h.api('POST', '/v1/calls/ivr-1/events', {
      ...start,
      events: [
        event('d', 0, { type: 'data', fields: { account: '12345678' } }),
        event('p1', 1, {
          type: 'ivr_prompt',
          text: 'Thank you for calling. For sales, press 1. For billing, press 2.',
        }),
      ],
    });
    const first = await h.api('POST', '/v1/calls/ivr-1/actions/navigate', { requestId: 'n1' });
    assert.equal(first.body.output.status, 'step');
    assert.deepEqual([first.body.output.decision.kind, first.body.output.decision.digits], ['press', '2']);
    assert.deepEqual(first.body.output.instruction, { action: 'send_dtmf', digits: '2' });

    const second = await h.api('POST', '/v1/calls/ivr-1/actions/navigate', {
      requestId: 'n2',
      args: { prompt: 'Please enter your account number followed by the pound key.' },
    });
    assert.equal(second.body.output.decision.kind, 'press');
    assert.equal(second.body.output.decision.digits, '12345678#');

    const third = await h.api('POST', '/v1/calls/ivr-1/actions/navigate', {
      requestId: 'n3',
      args: { prompt: 'Hi, this is Maria in billing, how can I help you today?' },
    });
    assert.equal(third.body.output.status, 'human');

    await h.api('POST', '/v1/calls/ivr-1/events', { event: event('end', 30, { type: 'ended' }) });
    const record = await h.client.workflow.getHandle<typeof callWorkflow>('call-ivr-1').result();
    assert.equal(record.ivr.length, 1);
    assert.deepEqual(
      record.ivr[0].steps.map((s) => (s.decision as { kind: string }).kind),
      ['press', 'press', 'human'],
    );
    assert.equal(record.ivr[0].result?.status, 'human');
  });

  it('keeps the prompts heard and the decisions made in the call state while the call runs', async () => {
    await h.api('POST', '/v1/calls/ivr-2/events', {
      agentId: 'outbound',
      call: { direction: 'outbound', to: '+14155550112' },
      event: event('p1', 1, {
        type: 'ivr_prompt',
        text: 'Para español, oprima nueve. For billing questions, press 3.',
      }),
    });
    await h.api('POST', '/v1/calls/ivr-2/actions/navigate', { requestId: 'n1' });
    const state = await h.client.workflow.getHandle('call-ivr-2').query(callStateQuery);
    assert.equal(state.ivr[0].steps[0].prompt, 'Para español, oprima nueve. For billing questions, press 3.');
    assert.equal((state.ivr[0].steps[0].decision as { digits: string }).digits, '3');
  });
});
