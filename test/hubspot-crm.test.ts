import assert from 'node:assert/strict';
import { Client } from '@hubspot/api-client';
import type { ActivityDeps } from '../activities/action-type';
import { crmLog } from '../activities/crm-log';
import { ConfigError } from '../src/config/errors';
import { parseAgent } from '../src/config/load-agents';
import {
  HUBSPOT_CALL_TO_CONTACT,
  HubSpotCrm,
  hubspotCallBody,
  hubspotCallStatus,
  hubspotFromEnv,
  hubspotPhoneForms,
} from '../src/integrations/crm/hubspot';
import { type CallLog, CrmError, type CrmErrorKind } from '../src/integrations/crm/provider';
import { type HubSpotFake, startHubSpotFake } from './kit/fakes/hubspot-server';

const PHONE = '+14155552671';
/** HubSpot's default "Connected" call outcome. */
const CONNECTED = 'f240bbac-87c9-4f6e-bf70-924b57d47db7';
const UPSERT = '/crm/v3/objects/calls/batch/upsert';

function rejectsWith(kind: CrmErrorKind, check?: (err: CrmError) => void) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof CrmError, `expected a CrmError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    check?.(err);
    return true;
  };
}

describe('HubSpot CRM provider', () => {
  let fake: HubSpotFake;
  let crm: HubSpotCrm;

  const callLog = (overrides: Partial<CallLog> = {}): CallLog => ({
    externalId: 'call-wf-1',
    contact: { phone: PHONE, email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' },
    subject: 'Inbound call: knee pain',
    summary: 'Caller wants an appointment <soon> & asked about "fees".',
    transcript: 'Agent: Hello, how can I help?\nCaller: My knee hurts <a lot>.',
    direction: 'inbound',
    from: PHONE,
    to: '+14155550000',
    status: 'completed',
    startedAt: '2025-03-03T15:00:00.000Z',
    endedAt: '2025-03-03T15:04:30.000Z',
    durationSeconds: 270,
    disposition: 'Appointment booked',
    properties: { callflow_reason: 'knee pain', callflow_urgent: true, callflow_age: 42 },
    ...overrides,
  });

  beforeEach(async () => {
    fake = await startHubSpotFake();
    crm = new HubSpotCrm({ accessToken: fake.token, basePath: fake.url });
  });

  afterEach(async () => {
    await fake.close();
  });

  /** A fake with other options in place of the default one. */
  const restartFake = async (options: Parameters<typeof startHubSpotFake>[0]): Promise<HubSpotFake> => {
    await fake.close();
    const next = await startHubSpotFake(options);
    crm = new HubSpotCrm({ accessToken: next.token, basePath: next.url });
    return next;
  };

  it('creates a missing contact and one call with every property, associated to it', async () => {
    const record = await crm.logCall(callLog({ hubspot: { callOutcomeId: CONNECTED } }));

    const contacts = fake.contacts();
    assert.equal(contacts.length, 1);
    const contact = contacts[0]!;
    const file = fake.files()[0]!;
    assert.deepEqual(record, {
      provider: 'hubspot',
      recordId: fake.calls()[0]!.id,
      contactId: contact.id,
      contactCreated: true,
      recordCreated: true,
      transcriptFileId: file.id,
    });
    assert.equal(contact.properties.firstname, 'Ada');
    assert.equal(contact.properties.lastname, 'Lovelace');
    assert.equal(contact.properties.phone, PHONE);
    assert.equal(contact.properties.email, 'ada@example.com');
    assert.equal(contact.properties.callflow_reason, 'knee pain');
    assert.equal(contact.properties.callflow_urgent, 'true');
    assert.equal(contact.properties.callflow_age, '42');

    const calls = fake.calls();
    assert.equal(calls.length, 1);
    const call = calls[0]!;
    assert.equal(call.properties.hs_timestamp, '2025-03-03T15:00:00.000Z');
    assert.equal(call.properties.hs_call_title, 'Inbound call: knee pain');
    assert.equal(call.properties.hs_call_direction, 'INBOUND');
    assert.equal(call.properties.hs_call_duration, '270000');
    assert.equal(call.properties.hs_call_from_number, PHONE);
    assert.equal(call.properties.hs_call_to_number, '+14155550000');
    assert.equal(call.properties.hs_call_status, 'COMPLETED');
    assert.equal(call.properties.hs_call_disposition, CONNECTED);
    assert.equal(call.properties.callflow_disposition, 'Appointment booked');
    assert.equal(call.properties.callflow_call_id, 'call-wf-1');
    assert.equal(call.properties.hs_attachment_ids, file.id);
    const body = call.properties.hs_call_body!;
    assert.ok(body.startsWith('<p><b>Disposition:</b> Appointment booked</p>'), body);
    assert.ok(
      body.includes('Caller wants an appointment &lt;soon&gt; &amp; asked about &quot;fees&quot;.'),
      body,
    );
    assert.ok(body.includes('Caller: My knee hurts &lt;a lot&gt;.'), body);
    assert.ok(!body.includes('<a lot>'));
    assert.deepEqual(call.associations, [
      {
        toObjectId: contact.id,
        associationTypeId: HUBSPOT_CALL_TO_CONTACT,
        associationCategory: 'HUBSPOT_DEFINED',
      },
    ]);

    for (const request of fake.requests) assert.equal(request.authorization, `Bearer ${fake.token}`);
    const paths = fake.requests.map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(paths, [
      'POST /crm/v3/objects/contacts/search',
      'POST /crm/v3/objects/contacts/search',
      'POST /crm/v3/objects/contacts',
      'POST /files/v3/files',
      `POST ${UPSERT}`,
      `PUT /crm/v4/objects/calls/${call.id}/associations/default/contacts/${contact.id}`,
    ]);
    assert.deepEqual((fake.requests[4]!.body as any).inputs[0].idProperty, 'callflow_call_id');
    assert.deepEqual((fake.requests[4]!.body as any).inputs[0].id, 'call-wf-1');
  });

  it('searches phone and mobilephone, in E.164 and national form, in one request', async () => {
    const seeded = fake.seedContact({ mobilephone: '(415) 555-2671' });
    const record = await crm.logCall(callLog({ contact: { phone: PHONE }, properties: {} }));
    assert.equal(record.contactId, seeded.id);
    assert.equal(record.contactCreated, false);
    const searches = fake.requests.filter((r) => r.path === '/crm/v3/objects/contacts/search');
    assert.equal(searches.length, 1);
    assert.deepEqual((searches[0]!.body as any).filterGroups, [
      { filters: [{ propertyName: 'phone', operator: 'EQ', value: PHONE }] },
      { filters: [{ propertyName: 'mobilephone', operator: 'EQ', value: PHONE }] },
      { filters: [{ propertyName: 'phone', operator: 'EQ', value: '(415) 555-2671' }] },
      { filters: [{ propertyName: 'mobilephone', operator: 'EQ', value: '(415) 555-2671' }] },
    ]);
  });

  it('finds an existing contact by phone and updates it with the mapped properties', async () => {
    const seeded = fake.seedContact({ phone: PHONE, firstname: 'Ada', callflow_reason: 'old' });

    const record = await crm.logCall(
      callLog({
        contact: { phone: PHONE },
        direction: 'outbound',
        status: 'no-answer',
        disposition: undefined,
      }),
    );

    assert.equal(record.contactId, seeded.id);
    assert.equal(record.contactCreated, false);
    assert.equal(record.recordCreated, true);
    assert.equal(fake.contacts().length, 1);
    const contact = fake.contacts()[0]!;
    assert.equal(contact.properties.callflow_reason, 'knee pain');
    assert.equal(contact.properties.callflow_urgent, 'true');
    assert.equal(contact.properties.firstname, 'Ada');
    const patch = fake.requests.find((r) => r.method === 'PATCH');
    assert.equal(patch?.path, `/crm/v3/objects/contacts/${seeded.id}`);
    assert.deepEqual(patch?.body, {
      properties: { callflow_reason: 'knee pain', callflow_urgent: 'true', callflow_age: '42' },
    });

    const call = fake.calls()[0]!;
    assert.equal(call.properties.hs_call_direction, 'OUTBOUND');
    assert.equal(call.properties.hs_call_status, 'NO_ANSWER');
    assert.equal(call.properties.hs_call_disposition, undefined);
    assert.equal(call.associations[0]?.toObjectId, seeded.id);
  });

  it('falls back to email when no contact has the phone', async () => {
    const seeded = fake.seedContact({ email: 'ada@example.com' });
    const record = await crm.logCall(callLog());
    assert.equal(record.contactId, seeded.id);
    assert.equal(record.contactCreated, false);
    assert.equal(fake.contacts().length, 1);
  });

  it('leaves exactly one call when logCall runs twice', async () => {
    const first = await crm.logCall(callLog());
    const second = await crm.logCall(callLog());
    assert.equal(fake.calls().length, 1);
    assert.equal(fake.contacts().length, 1);
    assert.equal(second.recordId, first.recordId);
    assert.equal(second.contactId, first.contactId);
    assert.equal(second.recordCreated, false);
    assert.equal(second.contactCreated, false);
  });

  it('leaves exactly one call when the create answer was lost', async () => {
    const seeded = fake.seedContact({ phone: PHONE });
    fake.dropNextResponse(UPSERT);
    await assert.rejects(crm.logCall(callLog({ properties: {} })), rejectsWith('unavailable'));
    assert.equal(fake.calls().length, 1);

    const retry = await crm.logCall(callLog({ properties: {} }));
    assert.equal(retry.recordCreated, false);
    assert.equal(retry.recordId, fake.calls()[0]!.id);
    assert.equal(retry.contactId, seeded.id);
    assert.equal(fake.calls().length, 1);
  });

  it('uses the existing contact when its creation answer was lost', async () => {
    fake.dropNextResponse('/crm/v3/objects/contacts');
    await assert.rejects(crm.logCall(callLog()), rejectsWith('unavailable'));
    assert.equal(fake.contacts().length, 1);
    assert.equal(fake.calls().length, 0);

    const retry = await crm.logCall(callLog());
    assert.equal(fake.contacts().length, 1);
    assert.equal(fake.calls().length, 1);
    assert.equal(retry.contactId, fake.contacts()[0]!.id);
    assert.equal(retry.recordCreated, true);
  });

  it('takes the existing id from a 409 when a contact with the email exists but is not found', async () => {
    const seeded = fake.seedContact({ email: 'ada@example.com' });
    fake.hideFromSearch(seeded.id);
    const record = await crm.logCall(callLog());
    assert.equal(record.contactId, seeded.id);
    assert.equal(record.contactCreated, false);
    assert.equal(fake.contacts().length, 1);
    assert.equal(fake.contacts()[0]!.properties.callflow_reason, 'knee pain');
    assert.ok(
      fake.requests.some(
        (r) => r.method === 'POST' && r.path === '/crm/v3/objects/contacts' && r.status === 409,
      ),
    );
  });

  describe('call outcome', () => {
    it('sets hs_call_disposition only for a mapped code, and keeps the code in words', async () => {
      await crm.logCall(callLog({ disposition: 'Qualified Lead' }));
      const call = fake.calls()[0]!;
      assert.equal(call.properties.hs_call_disposition, undefined);
      assert.equal(call.properties.callflow_disposition, 'Qualified Lead');
      assert.match(call.properties.hs_call_body!, /<b>Disposition:<\/b> Qualified Lead/);
    });

    it('is refused by HubSpot as free text, with its validation error', async () => {
      await assert.rejects(
        crm.logCall(callLog({ hubspot: { callOutcomeId: 'Qualified Lead' } })),
        rejectsWith('validation', (err) => {
          assert.match(err.message, /HTTP 400/);
          assert.match(err.message, /INVALID_OPTION/);
          assert.match(err.message, /hs_call_disposition/);
          assert.match(err.message, /VALIDATION_ERROR/);
        }),
      );
      assert.equal(fake.calls().length, 0);
    });
  });

  describe('exactly one call record while the search index lags', () => {
    it('updates the record an attempt whose answer was lost had written, found by the call id', async () => {
      fake = await restartFake({ searchLagMs: 60_000 });
      const seeded = fake.seedContact({ phone: PHONE });
      fake.dropNextResponse(UPSERT);
      await assert.rejects(crm.logCall(callLog({ properties: {} })), rejectsWith('unavailable'));
      assert.equal(fake.calls().length, 1);

      // Retried at once: the record is not searchable yet, and the upsert finds it anyway.
      const retry = await crm.logCall(callLog({ properties: {} }));
      assert.equal(fake.calls().length, 1);
      assert.equal(retry.recordId, fake.calls()[0]!.id);
      assert.equal(retry.recordCreated, false);
      assert.deepEqual(
        fake.calls()[0]!.associations.map((a) => a.toObjectId),
        [seeded.id],
      );
    });

    it('keeps one contact and one call when a new contact is not searchable yet', async () => {
      fake = await restartFake({ searchLagMs: 60_000 });
      fake.dropNextResponse(UPSERT);
      await assert.rejects(crm.logCall(callLog()), rejectsWith('unavailable'));
      const retry = await crm.logCall(callLog());
      assert.equal(fake.contacts().length, 1, 'the email conflict names the contact the search missed');
      assert.equal(fake.calls().length, 1);
      assert.equal(retry.contactId, fake.contacts()[0]!.id);
    });
  });

  describe('the transcript file', () => {
    it('uploads <call id>.txt privately and attaches it; a retry replaces it instead of adding one', async () => {
      const first = await crm.logCall(callLog());
      const second = await crm.logCall(callLog());
      const files = fake.files();
      assert.equal(files.length, 1);
      const file = files[0]!;
      assert.equal(file.path, '/callflow/transcripts/call-wf-1.txt');
      assert.equal(file.access, 'PRIVATE');
      assert.equal(file.content, callLog().transcript);
      assert.equal(file.writes, 2);
      assert.equal(first.transcriptFileId, file.id);
      assert.equal(second.transcriptFileId, file.id);
      assert.equal(fake.calls()[0]!.properties.hs_attachment_ids, file.id);
      const upload = fake.requests.find((r) => r.path === '/files/v3/files')!;
      const fields = upload.body as Record<string, { value: string; filename?: string }>;
      assert.equal(fields.fileName!.value, 'call-wf-1.txt');
      assert.equal(fields.folderPath!.value, '/callflow/transcripts');
      assert.deepEqual(JSON.parse(fields.options!.value), {
        access: 'PRIVATE',
        overwrite: true,
        duplicateValidationStrategy: 'NONE',
        duplicateValidationScope: 'EXACT_FOLDER',
      });
    });

    it('is not uploaded when the agent turns it off, or when there is no transcript', async () => {
      await crm.logCall(callLog({ hubspot: { attachTranscript: false } }));
      await crm.logCall(callLog({ externalId: 'call-wf-2', transcript: '' }));
      assert.equal(fake.files().length, 0);
      assert.ok(!fake.requests.some((r) => r.path.startsWith('/files/')));
      assert.equal(fake.calls()[0]!.properties.hs_attachment_ids, undefined);
    });

    it('names the scope and the setting when the app may not upload files', async () => {
      fake.failNext(
        403,
        'MISSING_SCOPES',
        "This app hasn't been granted all required scopes to make this call.",
        {},
        '/files/v3/files',
      );
      await assert.rejects(
        crm.logCall(callLog()),
        rejectsWith('auth', (err) => {
          assert.match(err.message, /upload transcript: HTTP 403/);
          assert.match(err.message, /"files" scope/);
          assert.match(err.message, /hubspot\.attachTranscript: false/);
        }),
      );
      assert.equal(fake.calls().length, 0);
    });
  });

  describe('an existing call record', () => {
    it('is associated with the contact when the attempt that wrote it never got that far', async () => {
      const seeded = fake.seedContact({ phone: PHONE });
      fake.dropNextResponse(UPSERT);
      await assert.rejects(crm.logCall(callLog({ properties: {} })), rejectsWith('unavailable'));
      assert.deepEqual(fake.calls()[0]!.associations, [], 'the lost attempt stopped before associating');

      const rerun = await crm.logCall(callLog({ properties: {} }));
      assert.equal(rerun.recordCreated, false);
      assert.deepEqual(fake.calls()[0]!.associations, [
        {
          toObjectId: seeded.id,
          associationTypeId: HUBSPOT_CALL_TO_CONTACT,
          associationCategory: 'HUBSPOT_DEFINED',
        },
      ]);
      const puts = fake.requests.filter((r) => r.method === 'PUT');
      assert.deepEqual(
        puts.map((r) => [r.path, r.status]),
        [[`/crm/v4/objects/calls/${rerun.recordId}/associations/default/contacts/${seeded.id}`, 200]],
      );
    });
  });

  describe('errors', () => {
    it('gives up on a call write HubSpot never answers, as retryable', async () => {
      fake.holdNextCallWrite();
      const impatient = new HubSpotCrm({ accessToken: fake.token, basePath: fake.url, timeoutMs: 300 });
      await assert.rejects(
        impatient.logCall(callLog()),
        rejectsWith('unavailable', (err) => {
          assert.equal(err.retryable, true);
          assert.match(err.message, /did not answer within 300 ms/);
        }),
      );
    });

    it('maps 401 to auth', async () => {
      const wrong = new HubSpotCrm({ accessToken: 'pat-wrong', basePath: fake.url });
      await assert.rejects(
        wrong.logCall(callLog()),
        rejectsWith('auth', (err) => {
          assert.equal(err.retryable, false);
          assert.match(err.message, /HTTP 401/);
          assert.match(err.message, /INVALID_AUTHENTICATION/);
        }),
      );
    });

    it('maps 400 to validation', async () => {
      fake.failNext(400, 'VALIDATION_ERROR', 'Property values were not valid');
      await assert.rejects(
        crm.logCall(callLog()),
        rejectsWith('validation', (err) => {
          assert.equal(err.retryable, false);
          assert.match(err.message, /Property values were not valid/);
        }),
      );
    });

    it('maps 429 to rate_limited with Retry-After', async () => {
      fake.failNext(429, 'RATE_LIMITS', 'You have reached your secondly limit.', { 'Retry-After': '3' });
      await assert.rejects(
        crm.logCall(callLog()),
        rejectsWith('rate_limited', (err) => {
          assert.equal(err.retryable, true);
          assert.equal(err.retryAfterMs, 3000);
        }),
      );
      assert.equal(fake.requests.length, 1, 'the client must not retry on its own');
    });

    it('maps 429 without Retry-After to the rate-limit interval', async () => {
      fake.failNext(429, 'RATE_LIMITS', 'You have reached your ten_secondly_rolling limit.', {
        'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
        'X-HubSpot-RateLimit-Remaining': '0',
      });
      await assert.rejects(
        crm.logCall(callLog()),
        rejectsWith('rate_limited', (err) => assert.equal(err.retryAfterMs, 10_000)),
      );
    });

    it('stays retry-free when a client with retries is built later', async () => {
      const other = new Client({ accessToken: 'x', numberOfApiCallRetries: 3 });
      assert.ok(other.crm.contacts);
      fake.failNext(503, 'SERVICE_UNAVAILABLE', 'Service unavailable');
      await assert.rejects(crm.logCall(callLog()), rejectsWith('unavailable'));
      assert.equal(fake.requests.length, 1);
    });

    it('maps 503 to unavailable without retrying inside the client', async () => {
      fake.failNext(503, 'SERVICE_UNAVAILABLE', 'Service unavailable');
      await assert.rejects(
        crm.logCall(callLog()),
        rejectsWith('unavailable', (err) => assert.equal(err.retryable, true)),
      );
      assert.equal(fake.requests.length, 1);
    });

    it('keeps the status of an error answered without JSON', async () => {
      fake.failNextRaw(502, '<html>Bad gateway</html>', 'text/html');
      await assert.rejects(
        crm.logCall(callLog()),
        rejectsWith('unavailable', (e) => assert.match(e.message, /502/)),
      );
      fake.failNextRaw(403, '');
      await assert.rejects(crm.logCall(callLog()), rejectsWith('auth'));
    });

    it('maps a refused connection to unavailable', async () => {
      await fake.close();
      await assert.rejects(crm.logCall(callLog()), rejectsWith('unavailable'));
      fake = await startHubSpotFake();
    });

    it('refuses a contact without phone or email', async () => {
      await assert.rejects(
        crm.logCall(callLog({ contact: { firstName: 'Ada' } })),
        rejectsWith('validation'),
      );
      assert.equal(fake.requests.length, 0);
    });
  });

  describe('helpers', () => {
    it('maps status words to hs_call_status', () => {
      assert.equal(hubspotCallStatus('completed'), 'COMPLETED');
      assert.equal(hubspotCallStatus('no-answer'), 'NO_ANSWER');
      assert.equal(hubspotCallStatus('Busy'), 'BUSY');
      assert.equal(hubspotCallStatus('cancelled'), 'CANCELED');
      assert.equal(hubspotCallStatus('failed'), 'FAILED');
    });

    it('keeps the call body within the limit', () => {
      const transcript = Array.from({ length: 200 }, (_, i) => `Caller: line ${i} <x>`).join('\n');
      const body = hubspotCallBody({ summary: 'Summary', transcript }, 1000);
      assert.ok(body.length <= 1000, String(body.length));
      assert.ok(body.endsWith('<p>[transcript truncated]</p>'));
      assert.ok(body.startsWith('<p>Summary</p>'));
    });

    it('gives the number in E.164 and national form, or as written when it does not parse', () => {
      assert.deepEqual(hubspotPhoneForms(' +14155552671 '), ['+14155552671', '(415) 555-2671']);
      assert.deepEqual(hubspotPhoneForms('+44 20 7946 0958'), ['+442079460958', '020 7946 0958']);
      assert.deepEqual(hubspotPhoneForms('555-0100'), ['555-0100']);
    });

    it('builds from the environment', () => {
      assert.equal(hubspotFromEnv({}), undefined);
      assert.ok(hubspotFromEnv({ HUBSPOT_ACCESS_TOKEN: 'pat', HUBSPOT_BASE_PATH: 'http://127.0.0.1:1' }));
    });

    it('upserts by the call id property the environment names', async () => {
      fake = await restartFake({ uniqueCallProperties: ['callflow_call_key'] });
      const named = hubspotFromEnv({
        HUBSPOT_ACCESS_TOKEN: fake.token,
        HUBSPOT_BASE_PATH: fake.url,
        HUBSPOT_CALL_ID_PROPERTY: 'callflow_call_key',
      })!;
      await named.logCall(callLog());
      assert.equal(fake.calls()[0]!.properties.callflow_call_key, 'call-wf-1');
      await assert.rejects(
        crm.logCall(callLog()),
        rejectsWith('validation', (e) =>
          assert.match(e.message, /callflow_call_id is not a unique property/),
        ),
      );
    });
  });
});

describe('crm_log settings for HubSpot', () => {
  const agentWith = (settings: Record<string, unknown>) => ({
    id: 'hs-settings',
    name: 'Settings',
    actions: { afterCall: [{ id: 'crm', type: 'crm_log', provider: 'hubspot', ...settings }] },
  });
  const problemsOf = (settings: Record<string, unknown>): string[] => {
    try {
      parseAgent(agentWith(settings), 'test');
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      return err.sentences;
    }
    return [];
  };

  it('maps disposition codes to call outcome GUIDs and attaches the transcript by default', () => {
    const agent = parseAgent(agentWith({ hubspot: { outcomes: { 'Qualified Lead': CONNECTED } } }), 'test');
    const crmAction = agent.actions.afterCall[0] as unknown as {
      hubspot: { outcomes: object; attachTranscript: boolean };
    };
    assert.deepEqual(crmAction.hubspot, {
      outcomes: { 'Qualified Lead': CONNECTED },
      attachTranscript: true,
    });
  });

  it('refuses an outcome that is not a GUID, naming the field', () => {
    const problems = problemsOf({ hubspot: { outcomes: { 'Qualified Lead': 'Connected' } } });
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(
      problems[0]!,
      /field "hubspot\.outcomes\.Qualified Lead": must be a HubSpot call outcome GUID/,
    );
  });

  it('refuses a property name that is not a lowercase internal name, naming the field', () => {
    const problems = problemsOf({ properties: { Budget: '{{data.budget}}', 'lead-score': '1' } });
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(
      problems[0]!,
      /field "properties\.Budget": "Budget" is not a HubSpot property internal name/,
    );
    assert.match(problems[1]!, /field "properties\.lead-score"/);
  });

  describe('the action', () => {
    let fake: HubSpotFake;
    const input = (settings: Record<string, unknown>, summary?: string) => {
      const parsed = crmLog.settings.parse({ provider: 'hubspot', ...settings });
      return {
        idempotencyKey: 'call-act-1/crm/1',
        workflowId: 'call-act-1',
        callId: 'act-1',
        agentId: 'hs-settings',
        actionId: 'crm',
        invocation: 1,
        settings: {
          ...parsed,
          contact: { phone: PHONE },
          transcript: 'caller: hello',
          disposition: 'Qualified Lead',
        },
        call: {
          direction: 'inbound' as const,
          status: 'completed',
          startedAt: '2025-03-03T15:00:00.000Z',
          ...(summary ? { summary } : {}),
        },
        secretNames: [],
        allowPrivate: [],
      };
    };
    const run = (i: ReturnType<typeof input>) =>
      crmLog.create!({
        crm: { hubspot: new HubSpotCrm({ accessToken: fake.token, basePath: fake.url }) },
      } as unknown as ActivityDeps)(i);

    beforeEach(async () => {
      fake = await startHubSpotFake();
    });
    afterEach(async () => {
      await fake.close();
    });

    it("files the call's summary from extract_data when the action sets none", async () => {
      await run(input({}, 'Wants a quote for 3 seats.'));
      assert.match(fake.calls()[0]!.properties.hs_call_body!, /<p>Wants a quote for 3 seats\.<\/p>/);
    });

    it("prefers the action's own summary", async () => {
      await run(input({ summary: 'Own summary.' }, 'Wants a quote for 3 seats.'));
      const body = fake.calls()[0]!.properties.hs_call_body!;
      assert.match(body, /Own summary\./);
      assert.doesNotMatch(body, /quote/);
    });

    it('sends the mapped outcome GUID for the disposition, and none for an unmapped one', async () => {
      await run(input({ hubspot: { outcomes: { 'Qualified Lead': CONNECTED } } }));
      assert.equal(fake.calls()[0]!.properties.hs_call_disposition, CONNECTED);
      const other = input({ hubspot: { outcomes: { Other: CONNECTED } } });
      await run({ ...other, workflowId: 'call-act-2' });
      assert.equal(fake.calls()[1]!.properties.hs_call_disposition, undefined);
      assert.equal(fake.calls()[1]!.properties.callflow_disposition, 'Qualified Lead');
    });

    it('attaches no file when the agent turns it off', async () => {
      await run(input({ hubspot: { attachTranscript: false } }));
      assert.equal(fake.files().length, 0);
      assert.equal(fake.calls().length, 1);
    });
  });
});
