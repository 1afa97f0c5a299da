import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http, { type Server } from 'node:http';
import path from 'node:path';
import { auth } from '@googleapis/calendar';
import express from 'express';
import YAML from 'yaml';
import { ConfigError } from '../src/config/errors';
import { parseAgent } from '../src/config/load-agents';
import { demoApi } from '../src/ingress/demo-api';
import { BuiltinCalendar } from '../src/integrations/calendar/builtin';
import { GoogleCalendarProvider } from '../src/integrations/calendar/google';
import { HubSpotCrm } from '../src/integrations/crm/hubspot';
import { SalesforceCrm } from '../src/integrations/crm/salesforce';
import { beforeCallUpdate, callStateQuery, callWorkflow } from '../workflows/call';
import {
  FAKE_GOOGLE_TOKEN,
  type FakeGoogleCalendarServer,
  startGoogleCalendarServer,
} from './kit/fakes/google-calendar-server';
import { type HubSpotFake, startHubSpotFake } from './kit/fakes/hubspot-server';
import { type SalesforceFake, startSalesforceFake } from './kit/fakes/salesforce-server';
import { type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';
import { maybeRecordHistory } from './support/histories';
import {
  elevenLabsSignature,
  retellSignature,
  twilioSignature,
  vapiSignatureHeaders,
} from './support/platform-signing';

const KNOWN = '+14155550123';
/** The caller the CRMs know (no other test's call logs a contact with this number). */
const CRM_CALLER = '+14155550177';
/** The caller the README's example finds (the customer API knows them too). */
const README_CALLER = '+14155550166';
/** The caller the tried lookups find. */
const TRY_CALLER = '+14155550188';
/** The caller the example agent's demo API knows. */
const GRACE = '+14155550142';
const UNKNOWN = '+14155550999';
const RETELL_KEY = 'key_before_call_0123456789';
const VAPI_SECRET = 'vapi-before-call-secret-0123';
const ELEVEN_SECRET = 'eleven-initiation-secret-0123';
const TWILIO_TOKEN = 'twilio-before-call-token-0123';
let seq = 0;
const unique = (label: string) => `${label}${process.pid}x${++seq}x${Date.now().toString(36)}`;

/** A customer's API: knows one caller by number; `/slow/...` answers after 1.5 s. */
async function startCustomers() {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const json = (status: number, value: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    const phone = decodeURIComponent(req.url?.split('/').pop() ?? '');
    const answer = () =>
      phone === KNOWN || phone === README_CALLER
        ? json(200, { name: 'Dana Whitfield', first_name: 'Dana', tier: 'gold' })
        : json(404, { error: 'no customer' });
    if (req.url?.startsWith('/whoami/')) return json(200, { heard: phone });
    if (req.url?.startsWith('/slow/')) setTimeout(answer, 1500);
    else answer();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(r)) };
}

function greeter(api: string) {
  return {
    id: 'greeter',
    name: 'Greeter',
    network: { allowPrivate: ['127.0.0.1'] },
    platforms: {
      retell: { secrets: ['BC_RETELL'] },
      vapi: { secrets: ['BC_VAPI'] },
      elevenlabs: { secrets: ['BC_ELEVEN'] },
    },
    beforeCallAnswer: {
      variables: {
        caller_name: '{{actions.customer.name}}',
        greeting: 'Hi {{actions.customer.name}}, thanks for calling!',
      },
      retellAgentId: 'agent_retell_greeter',
      vapiAssistantId: 'asst_greeter',
      twilioStreamUrl: 'wss://voice.example.com/stream',
    },
    actions: {
      beforeCall: [
        {
          id: 'customer',
          type: 'http_request',
          url: `${api}/customers/{{call.customer}}`,
          output: { name: 'body.name', tier: 'body.tier' },
          execution: 'local',
          retry: { maximumAttempts: 1 },
        },
      ],
      duringCall: [
        {
          id: 'whoami',
          type: 'http_request',
          url: `${api}/whoami/{{actions.customer.name}}`,
          retry: { maximumAttempts: 1 },
        },
      ],
      afterCall: [],
    },
  };
}

function slowpoke(api: string) {
  return {
    id: 'slowpoke',
    name: 'Slow lookups',
    network: { allowPrivate: ['127.0.0.1'] },
    beforeCallAnswer: {
      budgetSeconds: 0.4,
      variables: { caller_name: '{{actions.fast.name}}', tier: '{{actions.slow.tier}}' },
    },
    actions: {
      beforeCall: [
        {
          id: 'fast',
          type: 'http_request',
          url: `${api}/customers/{{call.customer}}`,
          output: { name: 'body.name' },
        },
        {
          id: 'slow',
          type: 'http_request',
          url: `${api}/slow/{{call.customer}}`,
          output: { tier: 'body.tier' },
        },
      ],
      duringCall: [],
      afterCall: [],
    },
  };
}

/** agents/example.yaml as shipped, set up for the platforms' webhooks as its README section says. */
function exampleAgent() {
  const agent = YAML.parse(readFileSync(path.join(__dirname, '..', 'agents', 'example.yaml'), 'utf8'));
  agent.platforms = {
    retell: { secrets: ['BC_RETELL'] },
    vapi: { secrets: ['BC_VAPI'] },
    elevenlabs: { secrets: ['BC_ELEVEN'] },
  };
  Object.assign(agent.beforeCallAnswer, {
    retellAgentId: 'agent_retell_acme',
    vapiAssistantId: 'asst_acme',
    twilioStreamUrl: 'wss://voice.example.com/stream',
  });
  return agent;
}

/**
 * The README's "Before the call" example as written, given an id, a scheduling section (which its calendar lookup
 * needs) and the customer API's address in place of crm.example.com.
 */
function readmeAgent(api: string) {
  const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Before the call'));
  const yaml = section.slice(
    section.indexOf('```yaml') + 7,
    section.indexOf('```', section.indexOf('```yaml') + 7),
  );
  const agent = YAML.parse(yaml.replaceAll('https://crm.example.com', api));
  return {
    id: 'readme-before',
    name: 'README example',
    network: { allowPrivate: ['127.0.0.1'] },
    scheduling: { provider: 'builtin', calendarId: 'readme-desk', hours: { timezone: 'UTC', weekly: {} } },
    ...agent,
    actions: { duringCall: [], afterCall: [], ...agent.actions },
  };
}

/** Looks the caller up in both CRMs and on the agent's calendar. */
const crmGreeter = {
  id: 'crm-greeter',
  name: 'CRM greeter',
  scheduling: {
    provider: 'builtin',
    calendarId: 'front-desk',
    hours: { timezone: 'America/New_York', weekly: {} },
  },
  beforeCallAnswer: {
    variables: {
      caller_name: '{{actions.hubspot.first_name}}',
      owner: '{{actions.hubspot.owner_name}}',
      open_cases: '{{actions.salesforce.open_count}}',
      next_visit: '{{actions.next_visit.start_spoken}}',
    },
  },
  actions: {
    beforeCall: [
      { id: 'hubspot', type: 'crm_lookup', provider: 'hubspot', properties: { tier: 'membership_tier' } },
      { id: 'salesforce', type: 'crm_lookup', provider: 'salesforce', properties: { tier: 'Tier__c' } },
      { id: 'next_visit', type: 'calendar_lookup' },
    ],
    duringCall: [],
    afterCall: [],
  },
};

describe('before-call stage', () => {
  let customers: Awaited<ReturnType<typeof startCustomers>>;
  let hubspot: HubSpotFake;
  let salesforce: SalesforceFake;
  let demo: Server;
  let h: Harness;

  before(async () => {
    customers = await startCustomers();
    const app = express();
    app.use(demoApi());
    demo = await new Promise<Server>((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve(server));
    });
    hubspot = await startHubSpotFake();
    salesforce = await startSalesforceFake();
    h = await startHarness({
      agents: [
        greeter(customers.url),
        slowpoke(customers.url),
        crmGreeter,
        exampleAgent(),
        readmeAgent(customers.url),
      ],
      // The example agent calls the demo API at {{service.url}}; here it is served on a port of its own.
      serviceUrl: `http://127.0.0.1:${(demo.address() as { port: number }).port}`,
      env: { BC_RETELL: RETELL_KEY, BC_VAPI: VAPI_SECRET, BC_ELEVEN: ELEVEN_SECRET },
      twilioAuthToken: TWILIO_TOKEN,
      deps: {
        crm: {
          hubspot: new HubSpotCrm({ accessToken: hubspot.token, basePath: hubspot.url }),
          salesforce: new SalesforceCrm({ instanceUrl: salesforce.url, accessToken: salesforce.accessToken }),
        },
      },
    });
  });
  after(async () => {
    await h?.stop();
    await customers?.close();
    await hubspot?.close();
    await salesforce?.close();
    await new Promise((r) => demo?.close(r));
  });

  const state = async (callId: string) => (await h.api('GET', `/v1/calls/${callId}`)).body.state;

  describe('generic API', () => {
    it('greets a known caller by name, and the lookup is in the call for later stages', async () => {
      const callId = unique('api');
      const res = await h.api('POST', `/v1/calls/${callId}/before`, {
        agentId: 'greeter',
        call: { from: KNOWN, to: '+14155550100' },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.outcome, 'complete');
      assert.equal(res.body.variables.caller_name, 'Dana Whitfield');
      assert.equal(res.body.variables.greeting, 'Hi Dana Whitfield, thanks for calling!');
      assert.deepEqual(res.body.outputs.customer, { name: 'Dana Whitfield', tier: 'gold' });
      assert.deepEqual(res.body.late, []);

      const tool = await h.api('POST', `/v1/calls/${callId}/actions/whoami`, { requestId: 'tc-1', args: {} });
      assert.equal(tool.status, 200);
      assert.equal(tool.body.status, 'completed');
      assert.ok(customers.requests.includes('/whoami/Dana%20Whitfield'), customers.requests.join(', '));
      const s = await state(callId);
      assert.equal(s.beforeCall.outcome, 'complete');
      assert.deepEqual(
        s.actions.map((a: { actionId: string; stage: string }) => `${a.stage}:${a.actionId}`),
        ['beforeCall:customer', 'duringCall:whoami'],
      );
    });

    it('the example agent greets a known caller by name', async () => {
      const res = await h.api('POST', `/v1/calls/${unique('example')}/before`, {
        agentId: 'acme-support',
        call: { from: GRACE },
      });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.variables, { caller_name: 'Grace', customer_tier: 'gold' });
      const stranger = await h.api('POST', `/v1/calls/${unique('example')}/before`, {
        agentId: 'acme-support',
        call: { from: UNKNOWN },
      });
      assert.deepEqual(stranger.body.variables, { caller_name: '', customer_tier: '' });
      assert.equal(stranger.body.outputs.find_caller.known, false);
    });

    it('answers an unknown caller with an empty name', async () => {
      const res = await h.api('POST', `/v1/calls/${unique('api')}/before`, {
        agentId: 'greeter',
        call: { from: UNKNOWN },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.variables.caller_name, '');
      assert.equal(res.body.outputs.customer, undefined);
    });

    it('runs the stage once per call: a repeat gets the same answer', async () => {
      const callId = unique('api');
      const body = { agentId: 'greeter', call: { from: KNOWN } };
      const first = await h.api('POST', `/v1/calls/${callId}/before`, body);
      const again = await h.api('POST', `/v1/calls/${callId}/before`, body);
      assert.deepEqual(again.body, first.body);
      const runs = (await state(callId)).actions.filter((a: { stage: string }) => a.stage === 'beforeCall');
      assert.equal(runs.length, 1);
    });

    it('answers with what is ready when the budget runs out; the late lookup lands in the call', async () => {
      const callId = unique('slow');
      const started = Date.now();
      const res = await h.api('POST', `/v1/calls/${callId}/before`, {
        agentId: 'slowpoke',
        call: { from: KNOWN },
      });
      const took = Date.now() - started;
      assert.equal(res.status, 200);
      assert.ok(took < 1400, `answered after ${took} ms`);
      assert.equal(res.body.outcome, 'budget_exceeded');
      assert.deepEqual(res.body.ready, ['fast']);
      assert.deepEqual(res.body.late, ['slow']);
      assert.deepEqual(res.body.variables, { caller_name: 'Dana Whitfield', tier: '' });
      const late = await eventually(async () => {
        const s = await state(callId);
        return s.actions.find((a: { actionId: string }) => a.actionId === 'slow');
      });
      assert.equal(late.status, 'completed');
      assert.equal(late.late, true);
      assert.deepEqual(late.output, { tier: 'gold' });
      assert.deepEqual((await state(callId)).beforeCall.late, ['slow']);

      // The call ends; its record keeps how the before-call stage was answered, and which lookup came late.
      await h.api('POST', `/v1/calls/${callId}/events`, {
        event: { id: 'end', type: 'ended', at: new Date().toISOString(), reason: 'hangup' },
      });
      const record = await eventually(async () => {
        const res = await h.api('GET', `/v1/calls/${callId}`);
        return res.body.status === 'completed' ? res.body.record : undefined;
      });
      assert.equal(record.beforeCall.outcome, 'budget_exceeded');
      assert.deepEqual(
        record.actions.map((a: { actionId: string; late?: boolean }) => [a.actionId, a.late ?? false]),
        [
          ['fast', false],
          ['slow', true],
        ],
      );
      await maybeRecordHistory(h.client, `call-${callId}`, 'before-call-late');
    });

    it("keeps a test call's stage on the call's fixed clock, as the rest of its record", async () => {
      const callId = unique('clock');
      const clock = '2031-05-06T10:00:00.000Z';
      const handle = await h.client.workflow.start(callWorkflow, {
        workflowId: `call-${callId}`,
        taskQueue: h.taskQueue,
        args: [
          {
            call: { direction: 'inbound', from: KNOWN, callId, agentId: 'greeter' },
            agent: parseAgent(greeter(customers.url), 'test'),
            test: { runId: callId, clock },
          },
        ],
      });
      try {
        const answer = await handle.executeUpdate(beforeCallUpdate, {
          updateId: 'before-1',
          args: [{ requestId: 'before-1', agentId: 'greeter' }],
        });
        assert.equal(answer.outcome, 'complete');
        const run = (await handle.query(callStateQuery)).actions.find((a) => a.actionId === 'customer');
        // Each time a moment after the call's start on its clock, not today's date.
        const sinceStart = (at: string | undefined) => Date.parse(at ?? '') - Date.parse(clock);
        for (const [name, at] of Object.entries({
          startedAt: answer.startedAt,
          answeredAt: answer.answeredAt,
          'the lookup started': run?.startedAt,
        }))
          assert.ok(
            sinceStart(at) >= 0 && sinceStart(at) < 60_000,
            `${name}: ${at}, the call's clock ${clock}`,
          );
        assert.ok(answer.startedAt <= answer.answeredAt, `${answer.startedAt} > ${answer.answeredAt}`);
      } finally {
        await handle.terminate('the test is over');
      }
    });

    it('refuses a body that is not the documented one, naming the field', async () => {
      const res = await h.api('POST', `/v1/calls/${unique('bad')}/before`, { agent: 'greeter' });
      assert.equal(res.status, 400);
      const fields = res.body.details.map((d: { field: string }) => d.field);
      assert.ok(fields.includes('agentId'), JSON.stringify(res.body));
    });

    it('answers 404 for an unknown agent', async () => {
      const res = await h.api('POST', `/v1/calls/${unique('bad')}/before`, { agentId: 'nobody' });
      assert.equal(res.status, 404);
    });
  });

  describe("the example agent, through each platform's pre-call webhook", () => {
    it("Retell's inbound call webhook: dynamic variables, metadata and the agent override", async () => {
      const providerId = unique('call_');
      const body = JSON.stringify({
        event: 'call_inbound',
        call_inbound: {
          agent_id: 'agent_retell_default',
          agent_version: 1,
          from_number: GRACE,
          to_number: '+14155550100',
          call_id: providerId,
        },
      });
      const res = await h.api('POST', '/webhooks/retell/acme-support', body, {
        'content-type': 'application/json',
        'x-retell-signature': retellSignature(body, RETELL_KEY, Date.now()),
      });
      assert.equal(res.status, 200);
      const inbound = res.body.call_inbound;
      assert.equal(inbound.override_agent_id, 'agent_retell_acme');
      assert.equal(inbound.dynamic_variables.caller_name, 'Grace');
      assert.equal(inbound.dynamic_variables.callflow_call_id, `retell-${providerId}`);
      assert.equal(inbound.metadata.callflow_call_id, `retell-${providerId}`);
      // The call's later webhooks name the same call id: the lookup is already in that call.
      const s = await state(`retell-${providerId}`);
      assert.equal(s.actions[0].output.name, 'Grace Hopper');
      assert.equal(s.from, GRACE);
    });

    it('Retell: one inbound delivery sent twice at once and retried later runs the lookup once', async () => {
      const providerId = unique('call_');
      const body = JSON.stringify({
        event: 'call_inbound',
        call_inbound: { from_number: KNOWN, to_number: '+14155550100', call_id: providerId },
      });
      const headers = {
        'content-type': 'application/json',
        'x-retell-signature': retellSignature(body, RETELL_KEY, Date.now()),
      };
      const lookups = () => customers.requests.filter((u) => u === `/customers/${encodeURIComponent(KNOWN)}`);
      const before = lookups().length;
      const [first, concurrent] = await Promise.all([
        h.api('POST', '/webhooks/retell/greeter', body, headers),
        h.api('POST', '/webhooks/retell/greeter', body, headers),
      ]);
      const retried = await h.api('POST', '/webhooks/retell/greeter', body, headers);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.call_inbound.dynamic_variables.caller_name, 'Dana Whitfield');
      assert.deepEqual(concurrent.body, first.body);
      assert.deepEqual(retried.body, first.body);
      assert.equal(lookups().length - before, 1, customers.requests.join(', '));
      const runs = (await state(`retell-${providerId}`)).actions;
      assert.deepEqual(
        runs.map((a: { stage: string; actionId: string }) => `${a.stage}:${a.actionId}`),
        ['beforeCall:customer'],
      );
    });

    it('Retell: an unsigned inbound webhook is refused and starts nothing', async () => {
      const providerId = unique('call_');
      const body = JSON.stringify({
        event: 'call_inbound',
        call_inbound: { from_number: GRACE, call_id: providerId },
      });
      const res = await h.api('POST', '/webhooks/retell/acme-support', body, {
        'content-type': 'application/json',
        'x-retell-signature': retellSignature(body, 'key_wrong_000000000000', Date.now()),
      });
      assert.equal(res.status, 401);
      assert.equal((await h.api('GET', `/v1/calls/retell-${providerId}`)).status, 404);
    });

    it("Vapi's assistant-request: the assistant id and its variable values", async () => {
      const providerId = unique('vapi-call-');
      const raw = JSON.stringify({
        message: {
          type: 'assistant-request',
          timestamp: Date.now(),
          call: {
            id: providerId,
            orgId: 'org_1',
            type: 'inboundPhoneCall',
            status: 'ringing',
            createdAt: new Date().toISOString(),
            updatedAt: new Date().toISOString(),
            customer: { number: GRACE },
            phoneNumber: { number: '+14155550100' },
          },
          phoneNumber: { number: '+14155550100' },
          customer: { number: GRACE },
        },
      });
      const res = await h.api('POST', '/webhooks/vapi/acme-support', raw, {
        'content-type': 'application/json',
        authorization: '',
        ...vapiSignatureHeaders(raw, VAPI_SECRET, Date.now()),
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.assistantId, 'asst_acme');
      assert.equal(res.body.assistantOverrides.variableValues.caller_name, 'Grace');
      assert.equal(res.body.assistantOverrides.variableValues.callflow_call_id, `vapi-${providerId}`);
      const s = await state(`vapi-${providerId}`);
      assert.equal(s.actions[0].output.name, 'Grace Hopper');
    });

    it("ElevenLabs' conversation initiation webhook: dynamic variables; the post-call webhook joins that call", async () => {
      const sid = `CA${unique('')
        .replace(/[^a-z0-9]/gi, '')
        .padEnd(32, '0')
        .slice(0, 32)}`;
      const body = JSON.stringify({
        caller_id: GRACE,
        agent_id: 'el_agent_1',
        called_number: '+14155550100',
        call_sid: sid,
      });
      const res = await h.api('POST', '/webhooks/elevenlabs/acme-support/initiation', body, {
        'content-type': 'application/json',
        'x-callflow-tool-secret': ELEVEN_SECRET,
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.type, 'conversation_initiation_client_data');
      assert.equal(res.body.dynamic_variables.caller_name, 'Grace');
      const callId = res.body.dynamic_variables.callflow_call_id;
      assert.equal(callId, `elevenlabs-twilio-${sid}`);
      assert.equal((await state(callId)).actions[0].output.name, 'Grace Hopper');

      // A server tool that sends callflow_call_id runs in that call, beside the lookup.
      const tool = await h.api(
        'POST',
        '/webhooks/elevenlabs/acme-support/tools/lookup_order',
        JSON.stringify({
          order_id: 'A-1001',
          system__conversation_id: unique('conv_'),
          callflow_call_id: callId,
        }),
        { 'content-type': 'application/json', 'x-callflow-tool-secret': ELEVEN_SECRET },
      );
      assert.equal(tool.status, 200, JSON.stringify(tool.body));
      assert.deepEqual(
        (await state(callId)).actions.map((a: { actionId: string }) => a.actionId),
        ['find_caller', 'lookup_order'],
      );

      // The conversation's post-call webhook carries the dynamic variables it began with.
      const postCall = JSON.parse(
        readFileSync(path.join(__dirname, 'fixtures/elevenlabs/post_call_transcription.json'), 'utf8'),
      );
      postCall.data.conversation_id = unique('conv_');
      postCall.data.conversation_initiation_client_data.dynamic_variables = res.body.dynamic_variables;
      const raw = JSON.stringify(postCall);
      const delivered = await h.api('POST', '/webhooks/elevenlabs/acme-support', raw, {
        'content-type': 'application/json',
        'elevenlabs-signature': elevenLabsSignature(ELEVEN_SECRET, raw, Math.floor(Date.now() / 1000)),
      });
      assert.equal(delivered.status, 200, JSON.stringify(delivered.body));
      const joined = await eventually(async () => {
        const s = await state(callId);
        return s?.transcript?.length ? s : undefined;
      });
      assert.equal(joined.actions[0].actionId, 'find_caller');

      const denied = await h.api('POST', '/webhooks/elevenlabs/acme-support/initiation', body, {
        'content-type': 'application/json',
        'x-callflow-tool-secret': 'not-the-secret',
      });
      assert.equal(denied.status, 401);
    });

    it("Twilio's voice webhook: TwiML that hands the call to the stream with the variables as parameters", async () => {
      const sid = `CA${String(Date.now()).padStart(32, '0')}`;
      const params = {
        CallSid: sid,
        From: GRACE,
        To: '+14155550100',
        Direction: 'inbound',
        CallStatus: 'ringing',
      };
      const path = '/twilio/agents/acme-support/voice';
      const res = await fetch(`${h.url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': twilioSignature(TWILIO_TOKEN, `${h.url}${path}`, params),
        },
        body: new URLSearchParams(params).toString(),
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /xml/);
      const twiml = await res.text();
      assert.match(twiml, /<Connect><Stream url="wss:\/\/voice\.example\.com\/stream">/);
      assert.match(twiml, /<Parameter name="caller_name" value="Grace"\/>/);
      assert.match(twiml, new RegExp(`<Parameter name="callflow_call_id" value="twilio-${sid}"/>`));
      const unsigned = await fetch(`${h.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(params).toString(),
      });
      assert.equal(unsigned.status, 401);
    });
  });

  describe('CRM and calendar lookups', () => {
    it('finds the caller in HubSpot and Salesforce, with owner, open deals or cases and mapped properties, and their next appointment', async () => {
      const ownerId = hubspot.seedOwner({ firstName: 'Ravi', lastName: 'Patel', email: 'ravi@example.com' });
      const contact = hubspot.seedContact({
        firstname: 'Dana',
        lastname: 'Whitfield',
        phone: CRM_CALLER,
        hubspot_owner_id: ownerId,
        membership_tier: 'gold',
      });
      hubspot.seedDeal(contact.id, {
        dealname: 'Renewal 2027',
        dealstage: 'contractsent',
        hs_is_closed: 'false',
      });
      hubspot.seedDeal(contact.id, { dealname: 'Old order', dealstage: 'closedwon', hs_is_closed: 'true' });
      const userId = salesforce.seed('User', {
        LastName: 'Okafor',
        Name: 'Ada Okafor',
        Email: 'ada@example.com',
      });
      const sfContact = salesforce.seed('Contact', {
        FirstName: 'Dana',
        LastName: 'Whitfield',
        Phone: CRM_CALLER,
        OwnerId: userId,
        Tier__c: 'platinum',
      });
      salesforce.seed('Case', {
        ContactId: sfContact,
        CaseNumber: '00001027',
        Subject: 'Billing',
        Status: 'New',
        IsClosed: false,
      });
      salesforce.seed('Case', {
        ContactId: sfContact,
        CaseNumber: '00000990',
        Subject: 'Old',
        Status: 'Closed',
        IsClosed: true,
      });
      const start = new Date(Date.now() + 3 * 24 * 3600 * 1000);
      start.setUTCMinutes(0, 0, 0);
      await new BuiltinCalendar(h.store).book({
        key: unique('visit'),
        calendarId: 'front-desk',
        start: start.toISOString(),
        end: new Date(start.getTime() + 30 * 60 * 1000).toISOString(),
        timezone: 'America/New_York',
        title: 'Check-up',
        attendee: { name: 'Dana Whitfield', phone: CRM_CALLER },
      });

      const res = await h.api('POST', `/v1/calls/${unique('crm')}/before`, {
        agentId: 'crm-greeter',
        call: { from: CRM_CALLER },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.outcome, 'complete');
      const { hubspot: hs, salesforce: sf, next_visit: visit } = res.body.outputs;
      assert.equal(hs.found, true);
      assert.equal(hs.name, 'Dana Whitfield');
      assert.deepEqual(hs.owner, { id: ownerId, name: 'Ravi Patel', email: 'ravi@example.com' });
      assert.deepEqual(
        hs.open_deals.map((d: { name: string }) => d.name),
        ['Renewal 2027'],
      );
      assert.deepEqual(hs.properties, { tier: 'gold' });
      assert.equal(sf.owner_name, 'Ada Okafor', JSON.stringify(sf));
      assert.deepEqual(
        sf.open_cases.map((c: { number: string }) => c.number),
        ['00001027'],
      );
      assert.deepEqual(sf.properties, { tier: 'platinum' });
      assert.equal(visit.found, true);
      assert.equal(visit.start, start.toISOString());
      assert.equal(res.body.variables.caller_name, 'Dana');
      assert.equal(res.body.variables.owner, 'Ravi Patel');
      assert.equal(res.body.variables.open_cases, '1');
      assert.equal(res.body.variables.next_visit, visit.start_spoken);
    });

    it("the README's example answers with the caller's first name and their CRM owner", async () => {
      const ownerId = hubspot.seedOwner({ firstName: 'Lena', lastName: 'Berg', email: 'lena@example.com' });
      hubspot.seedContact({
        firstname: 'Dana',
        lastname: 'Whitfield',
        phone: README_CALLER,
        hubspot_owner_id: ownerId,
      });
      const res = await h.api('POST', `/v1/calls/${unique('readme')}/before`, {
        agentId: 'readme-before',
        call: { from: README_CALLER, to: '+14155550100' },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.outcome, 'complete');
      assert.deepEqual(
        res.body.variables,
        { caller_name: 'Dana', owner: 'Lena Berg' },
        JSON.stringify(res.body),
      );
      assert.equal(res.body.outputs.next_visit.found, false);
    });

    it('a caller no CRM knows is found nowhere, and nothing fails', async () => {
      const res = await h.api('POST', `/v1/calls/${unique('crm')}/before`, {
        agentId: 'crm-greeter',
        call: { from: UNKNOWN },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.outputs.hubspot.found, false);
      assert.equal(res.body.outputs.salesforce.found, false);
      assert.equal(res.body.outputs.next_visit.found, false);
      assert.equal(res.body.variables.caller_name, '');
    });
  });

  describe('trying a lookup (dashboard and try API)', () => {
    const DESK = 'desk@example.com';
    let google: FakeGoogleCalendarServer;
    let t: Harness;
    const lookupTry = {
      id: 'lookup-try',
      name: 'Lookup try',
      scheduling: {
        provider: 'google',
        calendarId: DESK,
        hours: { timezone: 'America/New_York', weekly: {} },
      },
      actions: {
        beforeCall: [
          { id: 'hubspot', type: 'crm_lookup', provider: 'hubspot', properties: { tier: 'membership_tier' } },
          { id: 'next_visit', type: 'calendar_lookup' },
        ],
        duringCall: [],
        afterCall: [],
      },
    };
    const calendarProvider = () => {
      const client = new auth.OAuth2();
      client.setCredentials({ access_token: FAKE_GOOGLE_TOKEN, expiry_date: Date.now() + 3600_000 });
      return new GoogleCalendarProvider({ auth: client, rootUrl: google.url });
    };

    before(async () => {
      google = await startGoogleCalendarServer();
      google.addCalendar(DESK, { timeZone: 'America/New_York' });
      t = await startHarness({
        agents: [],
        storeAgents: true,
        noWorker: true,
        deps: {
          crm: {
            hubspot: new HubSpotCrm({ accessToken: hubspot.token, basePath: hubspot.url }),
            salesforce: new SalesforceCrm({
              instanceUrl: salesforce.url,
              accessToken: salesforce.accessToken,
            }),
          },
          calendars: { google: calendarProvider() },
        },
      });
      const created = await t.api('POST', '/v1/agents', lookupTry);
      assert.equal(created.status, 201, JSON.stringify(created.body));
    });
    after(async () => {
      await t?.stop();
      await google?.close();
    });

    it('a saved crm_lookup reads HubSpot for the sample caller and shows the contact', async () => {
      const contact = hubspot.seedContact({
        firstname: 'Noor',
        lastname: 'Haddad',
        phone: TRY_CALLER,
        membership_tier: 'silver',
      });
      const res = await t.api('POST', '/v1/agents/lookup-try/actions/beforeCall/hubspot/try', {
        call: { from: TRY_CALLER },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.rendered.phone, TRY_CALLER);
      assert.equal(res.body.result.status, 'completed', JSON.stringify(res.body.result));
      assert.equal(res.body.result.dryRun, false);
      const output = res.body.result.output;
      assert.equal(output.found, true);
      assert.equal(output.contact_id, contact.id);
      assert.equal(output.name, 'Noor Haddad');
      assert.deepEqual(output.properties, { tier: 'silver' });

      const stranger = await t.api('POST', '/v1/agents/lookup-try/actions/beforeCall/hubspot/try', {
        call: { from: UNKNOWN },
      });
      assert.equal(stranger.body.result.status, 'completed');
      assert.equal(stranger.body.result.output.found, false);
    });

    it('an unsaved crm_lookup reads Salesforce for the sample caller', async () => {
      salesforce.seed('Contact', {
        FirstName: 'Noor',
        LastName: 'Haddad',
        Phone: TRY_CALLER,
        Tier__c: 'gold',
      });
      const before = salesforce.requests.length;
      const res = await t.api('POST', '/v1/agents/lookup-try/actions/beforeCall/try', {
        action: { id: 'sf', type: 'crm_lookup', provider: 'salesforce', properties: { tier: 'Tier__c' } },
        call: { from: TRY_CALLER },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.result.status, 'completed', JSON.stringify(res.body.result));
      assert.equal(res.body.result.output.name, 'Noor Haddad');
      assert.deepEqual(res.body.result.output.properties, { tier: 'gold' });
      assert.ok(salesforce.requests.length > before, 'Salesforce was not asked');
    });

    it("a calendar_lookup reads the agent's calendar for the sample caller's next appointment", async () => {
      const start = new Date(Date.now() + 2 * 24 * 3600 * 1000);
      start.setUTCMinutes(0, 0, 0);
      await calendarProvider().book({
        key: unique('try-visit'),
        calendarId: DESK,
        start: start.toISOString(),
        end: new Date(start.getTime() + 30 * 60 * 1000).toISOString(),
        timezone: 'America/New_York',
        title: 'Check-up',
        attendee: { name: 'Noor Haddad', phone: TRY_CALLER },
      });
      const res = await t.api('POST', '/v1/agents/lookup-try/actions/beforeCall/next_visit/try', {
        call: { from: TRY_CALLER },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.result.status, 'completed', JSON.stringify(res.body.result));
      assert.equal(res.body.result.dryRun, false);
      assert.equal(res.body.result.output.found, true);
      assert.equal(res.body.result.output.start, start.toISOString());
      const asked = google.requests.at(-1)!;
      assert.equal(asked.query.get('privateExtendedProperty'), `callflowPhone=${TRY_CALLER}`);
    });

    it('a lookup whose provider has no credentials fails, naming the reason', async () => {
      const res = await t.api('POST', '/v1/agents/lookup-try/actions/beforeCall/try', {
        action: { id: 'elsewhere', type: 'calendar_lookup' },
        agent: { ...lookupTry, scheduling: { ...lookupTry.scheduling, provider: 'outlook' } },
        call: { from: TRY_CALLER },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.result.status, 'failed');
      assert.equal(res.body.result.error.type, 'CalendarNotConfigured');
    });
  });

  describe('configuration', () => {
    const agentWith = (actions: Record<string, unknown[]>, beforeCallAnswer?: unknown) => ({
      id: 'checked',
      name: 'Checked',
      ...(beforeCallAnswer ? { beforeCallAnswer } : {}),
      actions: { duringCall: [], afterCall: [], ...actions },
    });
    const problemsOf = (raw: unknown): string[] => {
      try {
        parseAgent(raw, 'checked.yaml', {});
      } catch (err) {
        if (err instanceof ConfigError) return err.problems.map((p) => `${p.field}: ${p.message}`);
        throw err;
      }
      return [];
    };

    it('allows only lookups before the call, naming them', () => {
      const problems = problemsOf(
        agentWith({ beforeCall: [{ id: 'text', type: 'send_sms', to: '+14155550100', body: 'hi' }] }),
      );
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0], /actions\.beforeCall\[0\]\.type/);
      assert.match(
        problems[0],
        /cannot run before the call \(before the call: http_request, calendar_lookup, crm_lookup\)/,
      );
    });

    it('refuses a before-call action that uses a later one, and answer variables that use anything but the stage or secrets', () => {
      const problems = problemsOf(
        agentWith(
          {
            beforeCall: [
              { id: 'first', type: 'http_request', url: 'https://api.example.com/{{actions.second.id}}' },
              { id: 'second', type: 'crm_lookup', provider: 'hubspot' },
            ],
            duringCall: [{ id: 'later', type: 'http_request', url: 'https://api.example.com/x' }],
          },
          { variables: { a: '{{actions.later.status}}', b: '{{actions.nothing.x}}', c: '{{env.KEY}}' } },
        ),
      ).join('\n');
      assert.match(problems, /beforeCall\[0\]\.url.*"second" runs later in the before-call stage/);
      assert.match(problems, /beforeCallAnswer\.variables\.a.*"later" runs after the before-call stage/);
      assert.match(problems, /beforeCallAnswer\.variables\.b.*there is no action "nothing"/);
      assert.match(problems, /beforeCallAnswer\.variables\.c.*never sent to the voice platform/);
    });

    it('lets the later stages use the before-call outputs', () => {
      const problems = problemsOf(
        agentWith({
          beforeCall: [
            { id: 'crm', type: 'crm_lookup', provider: 'salesforce', properties: { tier: 'Tier__c' } },
          ],
          duringCall: [
            { id: 'greet', type: 'http_request', url: 'https://api.example.com/{{actions.crm.name}}' },
          ],
        }),
      );
      assert.deepEqual(problems, []);
    });
  });
});
