import assert from 'node:assert/strict';
import http from 'node:http';
import OpenAI from 'openai';
import type { ActivityDeps } from '../activities/action-type';
import { extractData } from '../activities/extract-data';
import { checkProposal } from '../src/extraction/ensemble';
import type { FieldSpec } from '../src/extraction/fields';
import { extractWithLlm, LlmExtractionError, llmFromEnv } from '../src/extraction/llm';
import { startOpenAiFake } from './kit/fakes/openai-server';

const fields: FieldSpec[] = [
  { name: 'caller_name', type: 'text' },
  { name: 'budget', type: 'number', description: 'Monthly budget in dollars' },
  { name: 'wants_demo', type: 'boolean' },
  { name: 'plan', type: 'enum', values: ['basic', 'pro'] },
];
const transcript = [
  { role: 'agent' as const, text: 'Who am I speaking with?' },
  { role: 'caller' as const, text: "I'm Ada. We can spend about 500 a month." },
];

describe('the LLM extractor (OpenAI-compatible API)', () => {
  let fake: Awaited<ReturnType<typeof startOpenAiFake>>;
  let llm: { client: OpenAI; model: string };
  beforeEach(async () => {
    fake = await startOpenAiFake({ apiKey: 'sk-test' });
    llm = {
      client: new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 }),
      model: 'local-model',
    };
  });
  afterEach(async () => fake.close());

  it('asks for strict JSON-schema output and returns typed data with nulls for what was not said', async () => {
    fake.reply({
      data: { caller_name: 'Ada', budget: 500, wants_demo: null, plan: null },
      summary: 'Ada asked about plans.',
    });
    const result = await extractWithLlm(llm, fields, transcript);
    assert.deepEqual(result.data, { caller_name: 'Ada', budget: 500, wants_demo: null, plan: null });
    assert.equal(result.summary, 'Ada asked about plans.');
    const sent = fake.requests[0];
    assert.equal(sent.authorization, 'Bearer sk-test');
    assert.equal(sent.body.model, 'local-model');
    assert.equal(sent.body.response_format?.type, 'json_schema');
    assert.equal(sent.body.response_format?.json_schema?.strict, true);
    assert.match(sent.body.messages[1].content, /caller: I'm Ada/);
  });

  it('repairs one invalid reply by telling the model what was wrong', async () => {
    fake.reply({
      data: { caller_name: 'Ada', budget: 'five hundred', wants_demo: null, plan: 'gold' },
      summary: 'x',
    });
    fake.reply({ data: { caller_name: 'Ada', budget: 500, wants_demo: null, plan: null }, summary: 'fixed' });
    const result = await extractWithLlm(llm, fields, transcript);
    assert.equal(result.summary, 'fixed');
    assert.equal(fake.requests.length, 2);
    assert.match(fake.requests[1].body.messages.at(-1)!.content, /budget/);
  });

  it('fails with a typed, non-retryable error when the repair is invalid too; 5xx is retryable', async () => {
    fake.reply('not json');
    fake.reply('still not json');
    await assert.rejects(
      extractWithLlm(llm, fields, transcript),
      (e: unknown) => e instanceof LlmExtractionError && !e.retryable,
    );
    fake.fail(503, 'overloaded');
    await assert.rejects(
      extractWithLlm(llm, fields, transcript),
      (e: unknown) => e instanceof LlmExtractionError && e.retryable,
    );
  });

  it('tells the model each field, its type, allowed values and description, and the call date', async () => {
    // A local server that only turns the schema into a grammar shows the model none of this otherwise.
    fake.reply({ data: { caller_name: null, budget: null, wants_demo: null, plan: null }, summary: 's' });
    await extractWithLlm(
      llm,
      [...fields, { name: 'callback_date', type: 'date', description: 'When to call back' }],
      transcript,
      { now: new Date('2025-03-05T03:00:00Z'), timezone: 'America/New_York' },
    );
    const system = fake.requests[0].body.messages[0];
    assert.equal(system.role, 'system');
    assert.match(system.content, /- budget \(number\): Monthly budget in dollars/);
    assert.match(system.content, /- wants_demo \(true or false\)/);
    assert.match(system.content, /- plan \(one of "basic", "pro"\)/);
    assert.match(system.content, /- callback_date \(a date, YYYY-MM-DD\): When to call back/);
    // 03:00 UTC is still the evening before in New York.
    assert.match(system.content, /Tuesday 2025-03-04 \(America\/New_York\)/);
  });

  it('gives phone fields in E.164, spelled-out emails written, no-values as null, as the built-in extractor does', async () => {
    const contact: FieldSpec[] = [
      { name: 'caller_name', type: 'text' },
      { name: 'phone', type: 'text', description: 'Callback number' },
      { name: 'mobile_number', type: 'text' },
      { name: 'company', type: 'text' },
      { name: 'email', type: 'text', description: "Caller's email address" },
      { name: 'work_email', type: 'text' },
    ];
    fake.reply({
      data: {
        caller_name: 'null',
        phone: '(773) 555-0164',
        mobile_number: 'Helix Support',
        company: ' Crumb & Co ',
        email: 'm underscore tanaka at fernway dot io',
        work_email: 'the one on file',
      },
      summary: 's',
    });
    const result = await extractWithLlm(llm, contact, transcript);
    assert.deepEqual(result.data, {
      caller_name: null,
      phone: '+17735550164',
      mobile_number: null,
      company: 'Crumb & Co',
      email: 'm_tanaka@fernway.io',
      work_email: null,
    });
  });

  it('gives up on a model that does not answer within LLM_TIMEOUT_SECONDS, as a retryable failure', async () => {
    assert.throws(
      () =>
        llmFromEnv({ LLM_MODEL: 'm', LLM_BASE_URL: 'http://127.0.0.1:1/v1', LLM_TIMEOUT_SECONDS: 'soon' }),
      /LLM_TIMEOUT_SECONDS must be a positive number of seconds, got "soon"/,
    );
    const held: http.ServerResponse[] = [];
    const silent = http.createServer((_req, res) => held.push(res));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      const slow = llmFromEnv({
        LLM_MODEL: 'm',
        LLM_BASE_URL: `http://127.0.0.1:${port}/v1`,
        LLM_TIMEOUT_SECONDS: '0.3',
      })!;
      const started = Date.now();
      await assert.rejects(
        extractWithLlm(slow, fields, transcript),
        (e: unknown) => e instanceof LlmExtractionError && e.retryable && /timed out/i.test(e.message),
      );
      assert.ok(Date.now() - started < 5_000, 'gave up at the configured timeout, not the 45 s default');
    } finally {
      for (const res of held) res.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('caps what a reply may generate, and says so when a reply runs into the cap', async () => {
    const capped = llmFromEnv({
      LLM_MODEL: 'm',
      LLM_API_KEY: 'sk-test',
      LLM_BASE_URL: fake.baseURL,
      LLM_MAX_OUTPUT_TOKENS: '300',
    })!;
    assert.throws(
      () => llmFromEnv({ LLM_MODEL: 'm', LLM_API_KEY: 'k', LLM_MAX_OUTPUT_TOKENS: '1.5' }),
      /LLM_MAX_OUTPUT_TOKENS must be a positive whole number of tokens, got "1.5"/,
    );
    assert.equal(llmFromEnv({ LLM_MODEL: 'm', LLM_API_KEY: 'k' })!.maxOutputTokens, 4096);
    // A small model looping on whitespace inside its JSON: cut off, told why, then right.
    fake.cutOff('{"summary": "Ada called.", "data": {\n\n\n\n');
    fake.reply({
      data: { caller_name: 'Ada', budget: 500, wants_demo: null, plan: null },
      summary: 'Ada called.',
    });
    const result = await extractWithLlm(capped, fields, transcript);
    assert.equal(result.data.caller_name, 'Ada');
    assert.equal(fake.requests[0].body.max_completion_tokens, 300);
    assert.match(
      fake.requests[1].body.messages.at(-1)!.content,
      /cut off at 300 tokens \(LLM_MAX_OUTPUT_TOKENS\)/,
    );
  });

  describe('the ensemble (the model proposes, the built-in checks the evidence)', () => {
    const ensembleFields: FieldSpec[] = [
      ...fields,
      { name: 'phone', type: 'text', description: 'Callback phone number' },
    ];
    const call = [
      'agent: Who am I speaking with?',
      "caller: I'm Ada. We can spend about 500 a month.",
      'agent: Would you like a demo?',
      'caller: Not right now.',
    ].join('\n');
    const settings = (extractor: 'ensemble' | 'llm') => ({
      idempotencyKey: 'k',
      workflowId: 'call-c2',
      callId: 'c2',
      agentId: 'a',
      actionId: 'extract',
      invocation: 1,
      settings: { extractor, fields: ensembleFields, transcript: call, timezone: 'UTC' },
      secretNames: [],
      allowPrivate: [],
    });
    const run = async (extractor: 'ensemble' | 'llm') =>
      (await extractData.create!({ llm } as unknown as ActivityDeps)(settings(extractor))) as {
        extractor: string;
        data: Record<string, unknown>;
        evidence?: Record<string, { turn: number; start: number; end: number; quote: string }>;
        rejected?: Record<string, { proposed: unknown; reason: string }>;
        missingRequired: string[];
      };

    it('nulls values the call does not contain or contradicts, and says why', async () => {
      const proposal = {
        data: { caller_name: 'Ada', budget: 5000, wants_demo: true, plan: null, phone: '(415) 555-0100' },
        summary: 'Ada asked about a demo.',
      };
      fake.reply(proposal);
      const alone = await run('llm');
      assert.equal(alone.data.budget, 5000, 'the model alone keeps its guesses');

      fake.reply(proposal);
      const out = await run('ensemble');
      assert.equal(out.extractor, 'ensemble:local-model');
      assert.deepEqual(out.data, {
        caller_name: 'Ada',
        budget: null,
        wants_demo: null,
        plan: null,
        phone: null,
      });
      assert.deepEqual(Object.keys(out.rejected ?? {}).sort(), ['budget', 'phone', 'wants_demo']);
      assert.match(out.rejected!.budget.reason, /5000 does not occur in the call|the built-in reads 500/);
      assert.equal(out.rejected!.phone.proposed, '+14155550100');
      assert.match(out.rejected!.phone.reason, /does not occur in the call/);
      assert.match(out.rejected!.wants_demo.reason, /the caller said no: "Not right now\."/);
      assert.deepEqual(out.evidence?.caller_name, { turn: 1, start: 4, end: 7, quote: 'Ada' });
    });

    it('keeps values the transcript bears out, each with its evidence', async () => {
      fake.reply({
        data: { caller_name: 'Ada', budget: 500, wants_demo: false, plan: null, phone: null },
        summary: 'Ada asked about pricing.',
      });
      const out = await run('ensemble');
      assert.deepEqual(out.data, {
        caller_name: 'Ada',
        budget: 500,
        wants_demo: false,
        plan: null,
        phone: null,
      });
      assert.deepEqual(out.rejected, {});
      assert.deepEqual(out.evidence?.budget, { turn: 1, start: 28, end: 31, quote: '500' });
      assert.equal(out.evidence?.wants_demo.turn, 3);
      assert.equal(out.evidence?.wants_demo.quote, 'Not right now.');
    });
  });

  describe('checking each proposal against the transcript', () => {
    const checked: FieldSpec[] = [
      { name: 'caller_name', type: 'text' },
      { name: 'seats', type: 'number', description: 'Number of seats needed' },
      { name: 'plan', type: 'enum', values: ['basic', 'pro'] },
    ];
    const turns = (...lines: string[]) =>
      lines.map((l) => {
        const [role, ...text] = l.split(': ');
        return { role: role as 'agent' | 'caller', text: text.join(': ') };
      });
    const none = { caller_name: null, seats: null, plan: null };

    it("keeps the built-in's own reading, with its evidence, where the model proposes nothing", () => {
      const call = turns('agent: Who am I speaking with?', "caller: I'm Ada.", 'agent: How many seats?');
      const out = checkProposal(checked, call, none);
      assert.deepEqual(out.data, { caller_name: 'Ada', seats: null, plan: null });
      assert.deepEqual(out.evidence.caller_name, { turn: 1, start: 4, end: 7, quote: 'Ada' });
      assert.deepEqual(out.rejected, {});
      // Where the built-in reads nothing either, nothing is made up.
      const silent = checkProposal(
        checked,
        turns('agent: Who am I speaking with?', "caller: I'd rather not say."),
        none,
      );
      assert.deepEqual(silent.data, none);
      assert.deepEqual(silent.evidence, {});
    });

    it("takes a value only from the caller's words or from the agent's words the caller confirms", () => {
      const agentOnly = turns(
        'agent: Hi, this is Sarah from Acme. Who am I speaking with?',
        "caller: I'd rather not say.",
        'agent: We have plans from 49 dollars. How many seats would you need?',
        'caller: Not sure yet, I have to ask my team.',
      );
      const out = checkProposal(checked, agentOnly, { caller_name: 'Sarah', seats: 49, plan: null });
      assert.deepEqual(out.data, none);
      assert.equal(
        out.rejected.caller_name.reason,
        '"Sarah" is said only by the agent, and the caller does not confirm it',
      );
      assert.equal(
        out.rejected.seats.reason,
        '49 is said only by the agent, and the caller does not confirm it',
      );

      const confirmed = turns(
        'agent: Who am I speaking with?',
        'caller: Ada Lovelace.',
        'agent: And how many seats, twelve?',
        'caller: Yes.',
      );
      const kept = checkProposal(checked, confirmed, { caller_name: 'Ada Lovelace', seats: 12, plan: null });
      assert.deepEqual(kept.data, { caller_name: 'Ada Lovelace', seats: 12, plan: null });
      assert.deepEqual(kept.rejected, {});
      assert.deepEqual(kept.evidence.seats, { turn: 2, start: 20, end: 26, quote: 'twelve' });
    });

    it('takes an option only where the caller names it or confirms the agent naming it', () => {
      const offered = turns(
        'agent: How can I help?',
        'caller: Just looking at prices.',
        'agent: We have basic and pro. Which would suit you?',
        'caller: I have to think about it.',
      );
      const out = checkProposal(checked, offered, { ...none, plan: 'pro' });
      assert.equal(out.data.plan, null);
      assert.equal(
        out.rejected.plan.reason,
        '"pro" is named only by the agent, and the caller does not confirm it',
      );
      const unnamed = checkProposal(checked, offered.slice(0, 2), { ...none, plan: 'basic' });
      assert.equal(unnamed.data.plan, null);
      assert.equal(unnamed.rejected.plan.reason, 'the caller names nothing that says "basic"');

      const named = turns(
        'agent: How can I help?',
        "caller: We're on basic now, but we'll need pro next year.",
      );
      const kept = checkProposal(checked, named, { ...none, plan: 'pro' });
      assert.equal(kept.data.plan, 'pro');
      assert.deepEqual(kept.evidence.plan, { turn: 1, start: 35, end: 38, quote: 'pro' });
    });

    it('keeps a fuller name whose rest the caller says; any other disagreement with the built-in is refused', () => {
      const call = turns('agent: Who am I speaking with?', 'caller: Ada. My last name is Lovelace.');
      const fuller = checkProposal(checked, call, { ...none, caller_name: 'Ada Lovelace' });
      assert.equal(fuller.data.caller_name, 'Ada Lovelace');
      assert.equal(fuller.evidence.caller_name.quote, 'Lovelace');

      const unsaid = checkProposal(checked, call, { ...none, caller_name: 'Ada Byron' });
      assert.equal(unsaid.data.caller_name, null);
      assert.equal(
        unsaid.rejected.caller_name.reason,
        'the caller gives "Ada", but "Byron" does not occur in the call',
      );

      const other = checkProposal(checked, call, { ...none, caller_name: 'Lovelace' });
      assert.equal(other.data.caller_name, null);
      assert.equal(other.rejected.caller_name.reason, 'the built-in reads "Ada" from "Ada"');
    });
  });

  describe('in the extract_data action', () => {
    const input = (extractor: 'builtin' | 'llm') => ({
      idempotencyKey: 'k',
      workflowId: 'call-c1',
      callId: 'c1',
      agentId: 'a',
      actionId: 'extract',
      invocation: 1,
      settings: {
        extractor,
        fields: [
          { name: 'callback_date', type: 'date' as const, description: 'When to call the caller back' },
        ],
        transcript: 'agent: When should we call you back?\ncaller: Tomorrow, please.',
        timezone: 'America/New_York',
      },
      call: { direction: 'inbound' as const, status: 'completed', startedAt: '2025-03-05T15:00:00.000Z' },
      secretNames: [],
      allowPrivate: [],
    });

    it('resolves relative dates against the call, not the day the stage (or a re-run of it) runs', async () => {
      const builtin = (await extractData.create!({} as ActivityDeps)(input('builtin'))) as {
        data: Record<string, unknown>;
      };
      assert.equal(builtin.data.callback_date, '2025-03-06');

      fake.reply({ data: { callback_date: '2025-03-06' }, summary: 'Wants a call back.' });
      const viaLlm = (await extractData.create!({ llm } as unknown as ActivityDeps)(input('llm'))) as {
        extractor: string;
        data: Record<string, unknown>;
      };
      assert.equal(viaLlm.extractor, 'llm:local-model');
      assert.match(fake.requests[0].body.messages[0].content, /Wednesday 2025-03-05 \(America\/New_York\)/);
    });
  });
});
