import assert from 'node:assert/strict';
import { OptOutList } from '../src/store/opt-outs';
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

  it('records that nothing was sent to a landline', async () => {
    const r = await record('fu-3', '+442079460018');
    assert.equal(r.actions[0].status, 'completed');
    assert.equal((r.actions[0].output as Record<string, unknown>).status, 'not_mobile');
    assert.equal((r.actions[0].output as Record<string, unknown>).numberType, 'FIXED_LINE');
    assert.equal((r.actions[0].output as Record<string, unknown>).sent, false);
  });

  it('records that nothing was sent to a caller who opted out', async () => {
    await new OptOutList(h.store).optOut('+14155550177', 'STOP');
    const r = await record('fu-4', '+14155550177');
    assert.equal(r.actions[0].status, 'completed');
    assert.equal((r.actions[0].output as Record<string, unknown>).status, 'opted_out');
    assert.equal((r.actions[0].output as Record<string, unknown>).sent, false);
  });

  it('sends to a number that can take texts', async () => {
    const r = await record('fu-5', '+14155550178');
    assert.equal(r.actions[0].status, 'completed');
    assert.equal((r.actions[0].output as Record<string, unknown>).provider, 'dry-run');
    assert.equal((r.actions[0].output as Record<string, unknown>).to, '+14155550178');
  });
});
