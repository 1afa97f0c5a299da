import assert from 'node:assert/strict';
import type { callWorkflow } from '../workflows/call';
import { event, type Harness, startHarness } from './support/harness';

describe('the follow-up text after a call', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      agents: [
        {
          id: 'follow',
          name: 'Follow-up',
          actions: { afterCall: [{ id: 'thanks', type: 'send_sms', body: 'Thanks for calling.' }] },
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

  it('records why nothing was sent when the caller id was withheld', async () => {
    const r = await record('fu-1');
    assert.equal(r.actions[0].status, 'completed');
    assert.deepEqual(r.actions[0].output, {
      sent: false,
      status: 'no_number',
      say: 'There is no number to text.',
    });
  });

  it('fails without retrying for a number that is not a phone number', async () => {
    const r = await record('fu-2', '+1234');
    assert.equal(r.actions[0].status, 'failed');
    assert.equal(r.actions[0].error?.type, 'InvalidPhoneNumber');
  });
});
