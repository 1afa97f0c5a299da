import assert from 'node:assert/strict';
import { HubSpotCrm } from '../src/integrations/crm/hubspot';
import type { callWorkflow } from '../workflows/call';
import { type HubSpotFake, startHubSpotFake } from './kit/fakes/hubspot-server';
import { event, type Harness, startHarness } from './kit/harness';

/** The backoff is long, so a retry inside it can only come from HubSpot's Retry-After. */
const BACKOFF_SECONDS = 30;

describe('crm_log retries on the Temporal server, against HubSpot', () => {
  let fake: HubSpotFake;
  let h: Harness;

  before(async () => {
    fake = await startHubSpotFake();
    h = await startHarness({
      agents: [
        {
          id: 'crm-retries',
          name: 'CRM retries',
          actions: {
            afterCall: [
              {
                id: 'crm',
                type: 'crm_log',
                provider: 'hubspot',
                summary: 'Asked about pricing.',
                retry: { maximumAttempts: 3, initialIntervalSeconds: BACKOFF_SECONDS },
              },
            ],
          },
        },
      ],
      deps: { crm: { hubspot: new HubSpotCrm({ accessToken: fake.token, basePath: fake.url }) } },
    });
  });

  after(async () => {
    await h?.stop();
    await fake?.close();
  });

  async function runCall(callId: string) {
    await h.api('POST', `/v1/calls/${callId}/events`, {
      agentId: 'crm-retries',
      call: { direction: 'inbound', from: '+14155550142' },
      events: [
        event('c1', 1, { type: 'utterance', role: 'caller', text: 'How much is the pro plan?' }),
        event('end', 30, { type: 'ended' }),
      ],
    });
    const record = await h.client.workflow.getHandle<typeof callWorkflow>(`call-${callId}`).result();
    return record.actions.find((a) => a.actionId === 'crm')!;
  }

  it('does not retry an authentication error: one request, failed with HubSpot’s message', async () => {
    const first = fake.requests.length;
    fake.failNext(
      401,
      'INVALID_AUTHENTICATION',
      'Authentication credentials not found. This API supports OAuth 2.0 authentication.',
    );
    const run = await runCall('crm-auth-1');

    assert.equal(run.status, 'failed');
    assert.equal(run.error?.type, 'CrmAuth');
    assert.match(run.error!.message, /HTTP 401: Authentication credentials not found/);
    const seen = fake.requests.slice(first);
    assert.deepEqual(
      seen.map((r) => [r.path, r.status]),
      [['/crm/v3/objects/contacts/search', 401]],
    );
    assert.equal(fake.calls().length, 0);
  });

  it('retries a 429 after its Retry-After, well before the backoff, and completes', async () => {
    const first = fake.requests.length;
    fake.failNext(429, 'RATE_LIMITS', 'You have reached your secondly limit.', { 'Retry-After': '2' });
    const run = await runCall('crm-429-1');

    assert.equal(run.status, 'completed', JSON.stringify(run.error));
    const searches = fake.requests.slice(first).filter((r) => r.path === '/crm/v3/objects/contacts/search');
    assert.deepEqual(
      searches.map((r) => r.status),
      [429, 200],
      'the rate-limited attempt and the one retry',
    );
    const waited = searches[1]!.at - searches[0]!.at;
    assert.ok(waited >= 1900, `retried after ${waited} ms, before the Retry-After of 2 s`);
    assert.ok(waited < BACKOFF_SECONDS * 1000, `retried after ${waited} ms: the backoff, not Retry-After`);
    const calls = fake.calls();
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.properties.callflow_call_id, 'call-crm-429-1');
    assert.equal((run.output as { recordId: string }).recordId, calls[0]!.id);
  });
});
