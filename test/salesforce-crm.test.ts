import assert from 'node:assert/strict';
import { ConfigError } from '../src/config/errors';
import { parseAgent } from '../src/config/load-agents';
import type { CallLog } from '../src/integrations/crm/provider';
import { CrmError } from '../src/integrations/crm/provider';
import {
  escapeSoql,
  SALESFORCE_DESCRIPTION_LIMIT,
  SalesforceCrm,
  salesforceFromEnv,
} from '../src/integrations/crm/salesforce';
import { type SalesforceFake, startSalesforceFake } from './kit/fakes/salesforce-server';

function callLog(overrides: Partial<CallLog> = {}): CallLog {
  return {
    externalId: 'call-wf-0001',
    contact: { phone: '+14155550123', email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' },
    subject: 'Inbound call: appointment request',
    summary: 'Caller wants a dental cleaning next week.',
    transcript: 'Agent: Hello!\nCaller: Hi, I would like a cleaning.',
    direction: 'inbound',
    from: '+14155550123',
    to: '+14155550100',
    status: 'completed',
    startedAt: '2025-03-04T17:05:00.000Z',
    endedAt: '2025-03-04T17:09:12.000Z',
    durationSeconds: 252,
    disposition: 'Booked',
    properties: { LeadSource: 'Phone Agent', Description: 'Prefers mornings' },
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<CrmError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof CrmError, `expected a CrmError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

describe('SalesforceCrm', () => {
  let fake: SalesforceFake;
  let crm: SalesforceCrm;

  beforeEach(async () => {
    fake = await startSalesforceFake();
    crm = new SalesforceCrm({ instanceUrl: fake.url, accessToken: fake.accessToken });
  });
  afterEach(async () => {
    await fake.close();
  });

  it('creates a Lead and one completed call Task with every field', async () => {
    const result = await crm.logCall(callLog());

    const [lead] = fake.records('Lead');
    assert.equal(fake.records('Lead').length, 1);
    assert.deepEqual(
      { ...lead, Id: undefined },
      {
        Id: undefined,
        FirstName: 'Ada',
        LastName: 'Lovelace',
        Company: 'Unknown',
        Phone: '+14155550123',
        Email: 'ada@example.com',
        LeadSource: 'Phone Agent',
        Description: 'Prefers mornings',
      },
    );
    const tasks = fake.records('Task');
    assert.equal(tasks.length, 1);
    assert.deepEqual(tasks[0], {
      Id: tasks[0].Id,
      Callflow_Call_Id__c: 'call-wf-0001',
      Subject: 'Inbound call: appointment request',
      Description:
        'Caller wants a dental cleaning next week.\n\nTranscript:\nAgent: Hello!\nCaller: Hi, I would like a cleaning.',
      TaskSubtype: 'Call',
      CallType: 'Inbound',
      CallDurationInSeconds: 252,
      CallDisposition: 'Booked',
      Status: 'Completed',
      ActivityDate: '2025-03-04',
      WhoId: lead.Id,
    });
    assert.deepEqual(result, {
      provider: 'salesforce',
      recordId: tasks[0].Id,
      contactId: lead.Id,
      contactCreated: true,
      recordCreated: true,
    });

    for (const r of fake.requests) {
      assert.ok(r.path.startsWith('/services/data/v60.0/'), r.path);
      assert.equal(r.authorization, `Bearer ${fake.accessToken}`);
    }
    const upsert = fake.requests.find((r) => r.method === 'PATCH' && r.path.includes('/sobjects/Task/'));
    assert.equal(upsert?.path, '/services/data/v60.0/sobjects/Task/Callflow_Call_Id__c/call-wf-0001');
    assert.equal(upsert?.status, 201);
  });

  it('files an outbound call without a name under "Unknown caller" and truncates a long transcript', async () => {
    const transcript = 'x'.repeat(40_000);
    await crm.logCall(
      callLog({ contact: { phone: '+14155550999' }, direction: 'outbound', transcript, properties: {} }),
    );
    const [lead] = fake.records('Lead');
    assert.equal(lead.LastName, 'Unknown caller');
    assert.equal(lead.FirstName, undefined);
    const [task] = fake.records('Task');
    assert.equal(task.CallType, 'Outbound');
    assert.equal((task.Description as string).length, SALESFORCE_DESCRIPTION_LIMIT);
  });

  it('finds an existing Contact by mobile phone and updates it with the mapped fields', async () => {
    await fake.close();
    fake = await startSalesforceFake();
    const contactId = fake.seed('Contact', { LastName: 'Lovelace', MobilePhone: '+14155550123' });
    fake.seed('Contact', { LastName: 'Other', Phone: '+14155550777' });
    crm = new SalesforceCrm({
      instanceUrl: fake.url,
      accessToken: fake.accessToken,
      personObject: 'Contact',
    });

    const result = await crm.logCall(
      callLog({ properties: { Title: 'CTO', Preferred_Time__c: 'mornings' } }),
    );

    assert.equal(result.contactId, contactId);
    assert.equal(result.contactCreated, false);
    assert.equal(fake.records('Lead').length, 0);
    assert.equal(fake.records('Contact').length, 2);
    const contact = fake.records('Contact').find((c) => c.Id === contactId);
    assert.deepEqual(contact, {
      Id: contactId,
      LastName: 'Lovelace',
      MobilePhone: '+14155550123',
      Title: 'CTO',
      Preferred_Time__c: 'mornings',
    });
    const query = fake.requests.find((r) => r.path.endsWith('/query'));
    assert.equal(
      query?.query.q,
      "SELECT Id FROM Contact WHERE Phone = '+14155550123' OR MobilePhone = '+14155550123' LIMIT 1",
    );
    assert.equal(fake.records('Task')[0].WhoId, contactId);
  });

  it('falls back to email, with quotes escaped in SOQL', async () => {
    const leadId = fake.seed('Lead', {
      LastName: "O'Brien",
      Company: 'Acme',
      Email: "o'brien\\x@example.com",
    });
    const result = await crm.logCall(
      callLog({ contact: { phone: "+1 (415) 555-0100' OR Phone != '", email: "o'brien\\x@example.com" } }),
    );
    assert.equal(result.contactId, leadId);
    assert.equal(result.contactCreated, false);
    assert.equal(fake.records('Lead').length, 1);
    assert.equal(escapeSoql("a'b\\c\nd"), "a\\'b\\\\c\\nd");
  });

  it('writes one Task however often the call is logged (200 on update)', async () => {
    const first = await crm.logCall(callLog());
    const second = await crm.logCall(callLog({ disposition: 'Rescheduled' }));

    assert.equal(fake.records('Task').length, 1);
    assert.equal(fake.records('Lead').length, 1);
    assert.equal(second.recordId, first.recordId);
    assert.equal(second.contactId, first.contactId);
    assert.equal(second.recordCreated, false);
    assert.equal(second.contactCreated, false);
    const [task] = fake.records('Task');
    assert.equal(task.CallDisposition, 'Rescheduled');
    assert.equal(task.TaskSubtype, 'Call');
    const upserts = fake.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/sobjects/Task/'));
    assert.deepEqual(
      upserts.map((r) => r.status),
      [201, 400, 200],
      'TaskSubtype is create-only: the update is sent again without it',
    );
    assert.equal((upserts[2].body as Record<string, unknown>).TaskSubtype, undefined);
  });

  it('reads the Task id when the upsert answers 204', async () => {
    await fake.close();
    fake = await startSalesforceFake({ upsertUpdateStatus: 204 });
    crm = new SalesforceCrm({ instanceUrl: fake.url, accessToken: fake.accessToken });

    const first = await crm.logCall(callLog());
    const second = await crm.logCall(callLog());

    assert.equal(fake.records('Task').length, 1);
    assert.equal(second.recordId, first.recordId);
    assert.equal(second.recordCreated, false);
    const read = fake.requests.find((r) => r.method === 'GET' && r.path.includes('/sobjects/Task/'));
    assert.equal(read?.path, '/services/data/v60.0/sobjects/Task/Callflow_Call_Id__c/call-wf-0001');
  });

  it('writes one Task when the upsert answer was lost', async () => {
    fake.dropNextResponse({ method: 'PATCH', path: '/sobjects/Task/' });
    const lost = await rejection(crm.logCall(callLog()));
    assert.equal(lost.kind, 'unavailable');
    assert.equal(lost.retryable, true);
    assert.equal(fake.records('Task').length, 1);

    const retried = await crm.logCall(callLog());
    assert.equal(fake.records('Task').length, 1);
    assert.equal(fake.records('Lead').length, 1);
    assert.equal(retried.recordId, fake.records('Task')[0].Id);
    assert.equal(retried.recordCreated, false);
  });

  it('finds the Lead again when the answer to creating it was lost', async () => {
    fake.dropNextResponse({ method: 'POST', path: '/sobjects/Lead' });
    assert.equal((await rejection(crm.logCall(callLog()))).kind, 'unavailable');
    const retried = await crm.logCall(callLog());
    assert.equal(fake.records('Lead').length, 1);
    assert.equal(retried.contactCreated, false);
    assert.equal(fake.records('Task').length, 1);
  });

  describe('errors', () => {
    it('maps 401 INVALID_SESSION_ID to auth', async () => {
      const bad = new SalesforceCrm({ instanceUrl: fake.url, accessToken: 'expired' });
      const err = await rejection(bad.logCall(callLog()));
      assert.equal(err.kind, 'auth');
      assert.equal(err.retryable, false);
      assert.match(err.message, /INVALID_SESSION_ID/);
      assert.equal(fake.requests.length, 1);
    });

    it('maps 403 REQUEST_LIMIT_EXCEEDED to rate_limited', async () => {
      fake.failNext(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
      const err = await rejection(crm.logCall(callLog()));
      assert.equal(err.kind, 'rate_limited');
      assert.equal(err.retryable, true);
    });

    it('maps other 400/403 answers to validation', async () => {
      fake.failNext(400, 'INVALID_FIELD', "No such column 'Bogus__c' on sobject of type Lead", {
        method: 'POST',
      });
      assert.equal((await rejection(crm.logCall(callLog()))).kind, 'validation');

      fake.failNext(403, 'INSUFFICIENT_ACCESS', 'insufficient access rights on object id');
      assert.equal((await rejection(crm.logCall(callLog()))).kind, 'validation');

      const noCompany = new SalesforceCrm({
        instanceUrl: fake.url,
        accessToken: fake.accessToken,
        company: '',
      });
      const err = await rejection(noCompany.logCall(callLog({ contact: { phone: '+14155550888' } })));
      assert.equal(err.kind, 'validation');
      assert.match(err.message, /REQUIRED_FIELD_MISSING/);
    });

    it('maps 404 NOT_FOUND to not_found', async () => {
      const wrongField = new SalesforceCrm({
        instanceUrl: fake.url,
        accessToken: fake.accessToken,
        externalIdField: 'Missing_Id__c',
      });
      const err = await rejection(wrongField.logCall(callLog()));
      assert.equal(err.kind, 'not_found');
      assert.equal(err.retryable, false);
    });

    it('maps 5xx and dropped connections to unavailable, without retrying inside jsforce', async () => {
      fake.failNext(503, 'SERVER_UNAVAILABLE', 'Server temporarily unavailable', { method: 'GET' });
      const started = Date.now();
      const err = await rejection(crm.logCall(callLog()));
      assert.equal(err.kind, 'unavailable');
      assert.equal(fake.requests.length, 1);
      assert.ok(Date.now() - started < 400, 'no backoff inside the adapter');

      fake.dropNextResponse({ method: 'GET' });
      assert.equal((await rejection(crm.logCall(callLog()))).kind, 'unavailable');
      assert.equal(fake.requests.length, 2);
    });
  });
});

describe('salesforceFromEnv', () => {
  it('builds an adapter only when the instance URL and token are set', () => {
    assert.equal(salesforceFromEnv({}), undefined);
    assert.equal(salesforceFromEnv({ SALESFORCE_INSTANCE_URL: 'https://x.my.salesforce.com' }), undefined);
    const crm = salesforceFromEnv({
      SALESFORCE_INSTANCE_URL: 'https://x.my.salesforce.com',
      SALESFORCE_ACCESS_TOKEN: 't',
      SALESFORCE_PERSON_OBJECT: 'contact',
    });
    assert.ok(crm instanceof SalesforceCrm);
    assert.throws(() =>
      salesforceFromEnv({
        SALESFORCE_INSTANCE_URL: 'https://x.my.salesforce.com',
        SALESFORCE_ACCESS_TOKEN: 't',
        SALESFORCE_PERSON_OBJECT: 'Account',
      }),
    );
  });
});

describe('crm_log field names for Salesforce, checked when the agent is loaded', () => {
  const load = (properties: Record<string, string>) =>
    parseAgent(
      {
        id: 'sf-names',
        name: 'Names',
        actions: { afterCall: [{ id: 'crm', type: 'crm_log', provider: 'salesforce', properties }] },
      },
      'test',
    );

  it('accepts standard fields, custom fields and namespaced custom fields', () => {
    const agent = load({ LeadSource: 'x', Budget__c: 'y', Preferred_Time__c: 'z', acme__Budget__c: 'w' });
    assert.equal(agent.actions.afterCall[0]!.id, 'crm');
  });

  for (const [name, why] of [
    ['Budget__x', 'a suffix other than __c'],
    ['Budget___c', 'a triple underscore'],
    ['Budget_', 'a trailing underscore'],
    ['1Budget__c', 'a leading digit'],
    ['Budget-Amount__c', 'a hyphen'],
    ['Monthly__Budget__Amount__c', 'double underscores inside the name'],
    [`${'B'.repeat(41)}__c`, 'more than 40 characters'],
  ] as const) {
    it(`refuses ${why}, naming the field`, () => {
      assert.throws(
        () => load({ [name]: 'x' }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, String(err));
          assert.equal(err.problems.length, 1, err.message);
          assert.equal(err.problems[0]!.field, `actions.afterCall[0].properties.${name}`);
          assert.match(err.problems[0]!.message, /Salesforce/);
          return true;
        },
      );
    });
  }
});
