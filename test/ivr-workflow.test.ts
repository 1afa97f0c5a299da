import assert from 'node:assert/strict';
import http from 'node:http';
import OpenAI from 'openai';
import { callStateQuery, type callWorkflow } from '../workflows/call';
import { startOpenAiFake } from './kit/fakes/openai-server';
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
    // A new navigation runs under the current navigator and says so, so it resumes under the same one.
    assert.equal(record.ivr[0].navigatorVersion, 5);
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

describe('IVR navigation with a model deciding where the parser is unsure', () => {
  let h: Harness;
  let fake: Awaited<ReturnType<typeof startOpenAiFake>>;
  // In front of the fake: passes requests on, or holds them unanswered to let the model time out.
  let front: http.Server;
  let hang = false;
  const held: http.ServerResponse[] = [];
  const decided = {
    id: 'decided',
    name: 'Outbound caller with a second opinion',
    actions: {
      duringCall: [
        {
          id: 'navigate',
          type: 'ivr_navigate',
          args: { prompt: { type: 'string' } },
          goal: 'dispute a charge',
          prompt: '{{args.prompt}}',
          data: { policy_number: '{{data.policy}}' },
          decider: 'llm',
        },
      ],
    },
  };
  const openPrompt =
    "Welcome. Briefly tell me why you're calling. For example, you can say 'check my balance' or 'find a branch'.";

  before(async () => {
    fake = await startOpenAiFake({ apiKey: 'sk-ivr' });
    front = http.createServer(async (req, res) => {
      if (hang) {
        held.push(res);
        return;
      }
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const upstream = await fetch(`${fake.baseURL}${req.url?.replace(/^\/v1/, '')}`, {
        method: req.method,
        headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' },
        body: Buffer.concat(chunks),
      });
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    const baseURL = `http://127.0.0.1:${(front.address() as { port: number }).port}/v1`;
    h = await startHarness({
      agents: [
        decided,
        {
          ...decided,
          id: 'decided-fast',
          actions: { duringCall: [{ ...decided.actions.duringCall[0], llmTimeoutSeconds: 1 }] },
        },
      ],
      deps: { llm: { client: new OpenAI({ apiKey: 'sk-ivr', baseURL, maxRetries: 0 }), model: 'm' } },
    });
  });
  after(async () => {
    for (const res of held) res.destroy();
    await h?.stop();
    await new Promise((r) => front?.close(r));
    await fake?.close();
  });

  async function step(callId: string, prompt: string, agentId = 'decided') {
    await h.api('POST', `/v1/calls/${callId}/events`, {
      agentId,
      call: { direction: 'outbound', to: '+14155550123' },
      event: event('d', 0, { type: 'data', fields: { policy: 'HX-4420-981' } }),
    });
    const res = await h.api('POST', `/v1/calls/${callId}/actions/navigate`, {
      requestId: 'n1',
      args: { prompt },
    });
    return res.body.output.decision as { kind: string; text?: string; digits?: string; reason: string };
  }

  it("takes the model's choice on an open prompt, asked with the options and the known values' names only", async () => {
    fake.reply({ choice: 'say', option: null, digits: null, text: 'a charge I do not recognise' });
    const decision = await step('ivr-llm-1', openPrompt);
    assert.deepEqual([decision.kind, decision.text], ['say', 'a charge I do not recognise']);
    const asked = fake.requests[fake.requests.length - 1].body;
    assert.equal(asked.response_format?.json_schema?.strict, true);
    assert.match(asked.messages[1].content, /check my balance/);
    assert.match(asked.messages[1].content, /policy_number/);
    assert.doesNotMatch(JSON.stringify(asked.messages), /4420/, 'no known value goes to the model');
  });

  it("keeps the parser's decision when the model answers outside the choices or fails", async () => {
    fake.reply({ choice: 'option', option: 7, digits: null, text: null });
    const invalid = await step('ivr-llm-2', openPrompt);
    assert.deepEqual([invalid.kind, invalid.text], ['say', 'dispute a charge']);
    assert.match(invalid.reason, /not answer with a valid choice/);

    fake.fail(503, 'overloaded');
    const down = await step('ivr-llm-3', openPrompt);
    assert.deepEqual([down.kind, down.text], ['say', 'dispute a charge']);
    assert.match(down.reason, /model unavailable/);
  });

  it("keeps the parser's decision when the model does not answer within llmTimeoutSeconds", async () => {
    hang = true;
    try {
      const slow = await step('ivr-llm-5', openPrompt, 'decided-fast');
      assert.deepEqual([slow.kind, slow.text], ['say', 'dispute a charge']);
      assert.match(slow.reason, /model unavailable/);
    } finally {
      hang = false;
    }
  });

  it('asks no model when the parser is sure, and keys in a named value the prompt asks for', async () => {
    const before = fake.requests.length;
    const decision = await step(
      'ivr-llm-4',
      'Please enter your policy number on the keypad. For letters, press the key with that letter. Then press pound.',
    );
    assert.deepEqual([decision.kind, decision.digits], ['press', '494420981#']);
    assert.equal(fake.requests.length, before);
  });
});
