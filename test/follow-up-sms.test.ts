import assert from 'node:assert/strict';
import type { ActionRun } from '../src/shared/types';
import { OptOutList } from '../src/store/opt-outs';
import type { callWorkflow } from '../workflows/call';
import { event, type Harness, startHarness } from './kit/harness';

describe('the follow-up text after a call', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      agents: [
        {
          id: 'follow',
          name: 'Follow-up',
          actions: {
            duringCall: [{ id: 'text_me', type: 'send_sms', body: 'Here is the link you asked for.' }],
            afterCall: [
              { id: 'thanks', type: 'send_sms', body: 'Thanks for calling.' },
              {
                id: 'log_text',
                type: 'http_request',
                method: 'POST',
                url: 'http://127.0.0.1:9/texts',
                body: { message: '{{actions.thanks.messageId}}' },
              },
            ],
          },
        },
      ],
    });
  });
  after(async () => h?.stop());

  async function record(callId: string, from?: string) {
    await h.api('POST', `/v1/calls/${callId}/events`, {
      agentId: 'follow',
      call: { direction: 'inbound', ...(from ? { from } : {}) },
      event: event('end', 5, { type: 'ended' }),
    });
    return h.client.workflow.getHandle<typeof callWorkflow>(`call-${callId}`).result();
  }

  const run = (runs: ActionRun[], id: string) => runs.find((a) => a.actionId === id)!;

  it('is skipped with the reason when the caller id was withheld, and so is what uses it', async () => {
    const r = await record('fu-1');
    const thanks = run(r.actions, 'thanks');
    assert.equal(thanks.status, 'skipped');
    assert.equal(thanks.reason, 'There is no number to text.');
    assert.equal((thanks.output as Record<string, unknown>).status, 'no_number');
    const log = run(r.actions, 'log_text');
    assert.equal(log.status, 'skipped');
    assert.equal(log.reason, 'depends on "thanks", which was skipped: There is no number to text.');
  });

  it('fails without retrying for a number that is not a phone number', async () => {
    const r = await record('fu-2', '+1234');
    assert.equal(r.actions[0].status, 'failed');
    assert.equal(r.actions[0].error?.type, 'InvalidPhoneNumber');
  });

  it('is skipped for a landline, naming the number type', async () => {
    const r = await record('fu-3', '+442079460018');
    const thanks = run(r.actions, 'thanks');
    assert.equal(thanks.status, 'skipped');
    assert.match(thanks.reason ?? '', /landline/);
    assert.equal((thanks.output as Record<string, unknown>).numberType, 'FIXED_LINE');
    assert.equal((thanks.output as Record<string, unknown>).sent, false);
    assert.equal(run(r.actions, 'log_text').status, 'skipped');
  });

  it('is skipped for a caller who opted out', async () => {
    await new OptOutList(h.store).optOut('+14155550177', 'STOP');
    const r = await record('fu-4', '+14155550177');
    const thanks = run(r.actions, 'thanks');
    assert.equal(thanks.status, 'skipped');
    assert.match(thanks.reason ?? '', /replied STOP/);
    assert.equal((thanks.output as Record<string, unknown>).status, 'opted_out');
  });

  it('sends to a number that can take texts, and the action after it runs', async () => {
    const r = await record('fu-5', '+14155550178');
    const thanks = run(r.actions, 'thanks');
    assert.equal(thanks.status, 'completed');
    assert.equal((thanks.output as Record<string, unknown>).provider, 'dry-run');
    assert.equal((thanks.output as Record<string, unknown>).to, '+14155550178');
    // It ran (and failed against the closed port) instead of being skipped.
    assert.equal(run(r.actions, 'log_text').status, 'failed');
  });

  it('during the call answers the agent with a skipped result it can read', async () => {
    const started = await h.api('POST', '/v1/calls/fu-6/events', {
      agentId: 'follow',
      call: { direction: 'inbound', from: '+442079460018' },
      event: event('hello', 1, { type: 'utterance', role: 'caller', text: 'Text me the link.' }),
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));

    const answer = await h.api('POST', '/v1/calls/fu-6/actions/text_me', { requestId: 'tool-1', args: {} });

    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.status, 'skipped');
    assert.equal(answer.body.reason, 'That number is a landline, so no text was sent. Do not promise one.');
    assert.equal(answer.body.output.say, answer.body.reason);
    await h.api('POST', '/v1/calls/fu-6/events', { event: event('end', 9, { type: 'ended' }) });
  });
});
