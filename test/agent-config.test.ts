import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { ConfigError, type ConfigProblem, describeProblem } from '../src/config/errors';
import { loadAgents, parseAgent } from '../src/config/load-agents';

const ROOT = path.resolve(__dirname, '..');
const SOURCE = 'agents/shop.yaml';

/** A valid agent: one during-call lookup with an argument, then a ticket and an SMS after the call. */
function shopAgent(): any {
  return {
    id: 'shop',
    name: 'Shop line',
    actions: {
      duringCall: [
        {
          id: 'lookup',
          type: 'http_request',
          args: { order_id: { type: 'string', required: true } },
          url: 'https://api.example.com/orders/{{args.order_id}}',
          output: { order_status: 'body.status' },
        },
      ],
      afterCall: [
        { id: 'ticket', type: 'http_request', method: 'POST', url: 'https://api.example.com/tickets' },
        {
          id: 'sms',
          type: 'send_sms',
          to: '{{call.from}}',
          body: 'Your order is {{actions.lookup.order_status}}',
        },
      ],
    },
  };
}

/** The problems parseAgent reports for a raw agent; fails if the agent is accepted. */
function problemsOf(raw: unknown): string[] {
  try {
    parseAgent(raw, SOURCE);
  } catch (err) {
    if (err instanceof ConfigError) return err.sentences;
    throw err;
  }
  assert.fail('the agent was accepted');
}

function onlyProblem(raw: unknown): string {
  const problems = problemsOf(raw);
  assert.equal(problems.length, 1, problems.join('\n'));
  return problems[0];
}

function assertNames(problem: string, parts: string[]): void {
  for (const part of parts)
    assert.ok(problem.includes(part), `expected ${JSON.stringify(part)} in: ${problem}`);
}

function runMain(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, TEMPORAL_ADDRESS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 45_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('agent configuration', () => {
  const tempDirs: string[] = [];
  function tempDir(files: Record<string, string>): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'callflow-agents-'));
    tempDirs.push(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    return dir;
  }
  after(() => {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });

  describe('the example agent', () => {
    it('loads from the agents directory', () => {
      const agents = loadAgents([path.join(ROOT, 'agents')]);

      const agent = agents.get('acme-support');
      assert.ok(agent, `loaded: ${[...agents.keys()].join(', ')}`);
      assert.deepEqual(
        agent.actions.duringCall.map((a) => a.id),
        ['lookup_order', 'transfer', 'text_order_status', 'check_availability', 'book_appointment'],
      );
      assert.deepEqual(
        agent.actions.afterCall.map((a) => a.id),
        [
          'extract',
          'disposition',
          'open_ticket',
          'appointment_sms',
          'log_appointment',
          'crm',
          'follow_up_sms',
        ],
      );
    });
  });

  describe('defaults', () => {
    it("resolves an extraction's relative dates in the agent's time zone unless it names one, and refuses unknown zones", () => {
      const agent = (timezone: string | undefined, own?: string) => ({
        id: 'intake',
        name: 'Intake',
        ...(timezone ? { timezone } : {}),
        actions: {
          afterCall: [
            {
              id: 'extract',
              type: 'extract_data',
              fields: [{ name: 'd', type: 'date' }],
              ...(own ? { timezone: own } : {}),
            },
          ],
        },
      });
      const zone = (raw: unknown) =>
        (parseAgent(raw, SOURCE).actions.afterCall[0] as { timezone?: string }).timezone;
      assert.equal(zone(agent('America/Chicago')), 'America/Chicago');
      assert.equal(zone(agent('America/Chicago', 'Europe/Berlin')), 'Europe/Berlin');
      assert.equal(zone(agent(undefined)), 'UTC');
      assert.throws(
        () => parseAgent(agent('Mars/Olympus'), SOURCE),
        /field "timezone": not an IANA time zone/,
      );
      assert.throws(
        () => parseAgent(agent('UTC', 'Eastern'), SOURCE),
        /actions\.afterCall\[0\] \(id "extract"\): field "timezone": not an IANA time zone/,
      );
    });

    it('lets actions continue after an error unless told otherwise', () => {
      const agent = parseAgent(shopAgent(), SOURCE);

      assert.deepEqual(
        [...agent.actions.duringCall, ...agent.actions.afterCall].map((a) => a.onError),
        ['continue', 'continue', 'continue'],
      );
    });

    it("takes an action's timeout from its type when none is given", () => {
      const agent = parseAgent(shopAgent(), SOURCE);

      assert.equal(agent.actions.duringCall[0].timeoutSeconds, 10);
      assert.equal(agent.actions.afterCall[0].timeoutSeconds, 10);
    });

    it('keeps a timeout the action sets', () => {
      const raw = shopAgent();
      raw.actions.afterCall[0].timeoutSeconds = 42;

      assert.equal(parseAgent(raw, SOURCE).actions.afterCall[0].timeoutSeconds, 42);
    });

    it('ends a silent call after two hours', () => {
      assert.equal(parseAgent(shopAgent(), SOURCE).call.inactivityTimeoutSeconds, 7200);
    });
  });

  describe('problems', () => {
    it('names the agent, action and field of an unknown action type, and lists the known types', () => {
      const raw = shopAgent();
      raw.actions.afterCall[1].type = 'fax';

      const problem = onlyProblem(raw);

      assertNames(problem, [
        'agent "shop" in agents/shop.yaml',
        'actions.afterCall[1] (id "sms")',
        'field "type"',
        'unknown action type "fax"',
        'known: http_request, send_sms',
      ]);
    });

    it('names both places of a duplicate action id', () => {
      const raw = shopAgent();
      raw.actions.afterCall[0].id = 'sms';

      const problem = onlyProblem(raw);

      assertNames(problem, [
        'agent "shop"',
        'actions.afterCall[1] (id "sms")',
        'field "id"',
        'duplicate action id "sms"',
        'also actions.afterCall[0]',
      ]);
    });

    it('names a reference to an action that does not exist', () => {
      const raw = shopAgent();
      raw.actions.afterCall[1].body = 'Status: {{actions.nope.status}}';

      const problem = onlyProblem(raw);

      assertNames(problem, [
        'agent "shop"',
        'actions.afterCall[1] (id "sms")',
        'field "body"',
        '{{actions.nope.status}}',
        'there is no action "nope"',
      ]);
    });

    it('names a reference to an after-call action that runs later', () => {
      const raw = shopAgent();
      raw.actions.afterCall[0].url = 'https://api.example.com/tickets?sms={{actions.sms.sid}}';

      const problem = onlyProblem(raw);

      assertNames(problem, [
        'agent "shop"',
        'actions.afterCall[0] (id "ticket")',
        'field "url"',
        '"sms" runs later in the after-call stage',
      ]);
    });

    it('names a during-call action that refers to an after-call action', () => {
      const raw = shopAgent();
      raw.actions.duringCall[0].url = 'https://api.example.com/orders/{{actions.ticket.id}}';

      const problem = onlyProblem(raw);

      assertNames(problem, [
        'agent "shop"',
        'actions.duringCall[0] (id "lookup")',
        'field "url"',
        '"ticket" runs after the call',
      ]);
    });

    it('names a malformed template', () => {
      const raw = shopAgent();
      raw.actions.afterCall[1].body = 'Hello {{call.from';

      const problem = onlyProblem(raw);

      assertNames(problem, [
        'agent "shop"',
        'actions.afterCall[1] (id "sms")',
        'field "body"',
        'malformed template',
        'unclosed "{{"',
      ]);
    });

    it('names a missing required setting', () => {
      const raw = shopAgent();
      delete raw.actions.afterCall[1].body;

      const problem = onlyProblem(raw);

      assertNames(problem, ['agent "shop"', 'actions.afterCall[1] (id "sms")', 'field "body"', 'required']);
    });

    it('names an unknown setting on an action', () => {
      const raw = shopAgent();
      raw.actions.afterCall[1].subject = 'Your order';

      const problem = onlyProblem(raw);

      assertNames(problem, [
        'agent "shop"',
        'actions.afterCall[1] (id "sms")',
        'field "subject"',
        'unknown setting',
      ]);
    });

    it('names a tool-call argument that the action does not declare', () => {
      const raw = shopAgent();
      raw.actions.duringCall[0].url = 'https://api.example.com/orders/{{args.order_number}}';

      const problem = onlyProblem(raw);

      assertNames(problem, [
        'agent "shop"',
        'actions.duringCall[0] (id "lookup")',
        'field "url"',
        '{{args.order_number}}',
        'argument "order_number" is not declared',
      ]);
    });

    it('names a tool-call argument used by an after-call action', () => {
      const raw = shopAgent();
      raw.actions.afterCall[1].body = 'About order {{args.order_id}}';

      const problem = onlyProblem(raw);

      assertNames(problem, [
        'agent "shop"',
        'actions.afterCall[1] (id "sms")',
        'field "body"',
        '{{args.order_id}}',
        'after-call actions have no tool-call arguments',
      ]);
    });

    it('names an environment variable that is not among the secrets, with its nested field', () => {
      const raw = shopAgent();
      raw.secrets = ['CALLFLOW_SECRET_OTHER_KEY'];
      raw.actions.afterCall[0].headers = { authorization: 'Bearer {{env.API_KEY}}' };

      const problem = onlyProblem(raw);

      assertNames(problem, [
        'agent "shop"',
        'actions.afterCall[0] (id "ticket")',
        'field "headers.authorization"',
        '"API_KEY" is not listed in the agent\'s secrets',
      ]);
    });

    it("accepts the service's own URL, and names a service field that does not exist", () => {
      const raw = shopAgent();
      raw.actions.duringCall[0].url = '{{service.url}}/orders/{{args.order_id}}';
      assert.equal(
        (parseAgent(raw, SOURCE).actions.duringCall[0] as unknown as { url: string }).url,
        '{{service.url}}/orders/{{args.order_id}}',
      );
      raw.actions.afterCall[0].url = '{{service.host}}/tickets';

      const problem = onlyProblem(raw);

      assertNames(problem, [
        'actions.afterCall[0] (id "ticket")',
        'field "url"',
        'the service has no field "host" (fields: url)',
      ]);
    });

    it('names a call field that does not exist, and lists the fields', () => {
      const raw = shopAgent();
      raw.actions.afterCall[1].to = '{{call.nope}}';

      const problem = onlyProblem(raw);

      assertNames(problem, [
        'agent "shop"',
        'actions.afterCall[1] (id "sms")',
        'field "to"',
        'the call has no field "nope"',
        'from, to',
      ]);
    });

    describe('extracted data', () => {
      function withExtraction(): any {
        const raw = shopAgent();
        raw.actions.afterCall.unshift({
          id: 'extract',
          type: 'extract_data',
          fields: [
            { name: 'caller_name', type: 'text' },
            { name: 'email', type: 'text', required: true },
          ],
        });
        return raw;
      }

      it('accepts references to declared fields, the platform analysis and optional ones', () => {
        const raw = withExtraction();
        raw.actions.afterCall[2].body = 'Hi {{data.caller_name}} {{data.platform_summary}} {{data.tier?}}';

        assert.doesNotThrow(() => parseAgent(raw, SOURCE));
      });

      it('names a data field no extract_data action declares, and lists the declared ones', () => {
        const raw = withExtraction();
        raw.actions.afterCall[2].body = 'Hi {{data.first_name}}';

        const problem = onlyProblem(raw);

        assertNames(problem, [
          'agent "shop"',
          'actions.afterCall[2] (id "sms")',
          'field "body"',
          'no extract_data action declares a field "first_name"',
          'declared: caller_name, email',
        ]);
      });

      it('names a data field used before the extraction that declares it runs', () => {
        const raw = withExtraction();
        raw.actions.afterCall.push(raw.actions.afterCall.shift());
        raw.actions.afterCall[1].body = 'Hi {{data.caller_name}}';

        const problem = onlyProblem(raw);

        assertNames(problem, [
          'actions.afterCall[1] (id "sms")',
          '"caller_name" is extracted by "extract", which runs later',
        ]);
      });

      it('leaves data references alone in an agent that extracts nothing (data comes from events)', () => {
        const raw = shopAgent();
        raw.actions.afterCall[1].body = 'Hi {{data.caller_name}}';

        assert.doesNotThrow(() => parseAgent(raw, SOURCE));
      });

      it('names a field declared twice in one extract_data action', () => {
        const raw = withExtraction();
        raw.actions.afterCall[0].fields.push({ name: 'caller_name', type: 'text' });

        const problem = onlyProblem(raw);

        assertNames(problem, [
          'actions.afterCall[0] (id "extract")',
          'field "fields[2].name"',
          'duplicate field "caller_name" (also fields[0])',
        ]);
      });
    });

    describe('disposition rules', () => {
      function withDisposition(rule: Record<string, unknown>, extra: Record<string, unknown> = {}): any {
        const raw = shopAgent();
        raw.actions.afterCall.push({
          id: 'disposition',
          type: 'set_disposition',
          codes: ['Sold', 'Other'],
          rules: [{ code: 'Sold', ...rule }],
          default: 'Other',
          ...extra,
        });
        return raw;
      }

      it('take their condition as "when", or as "if" as before', () => {
        for (const rule of [{ when: '{{call.status}} == completed' }, { if: '{{call.transferred}}' }]) {
          const agent = parseAgent(withDisposition(rule), SOURCE);
          const disposition = agent.actions.afterCall.at(-1) as unknown as { rules: unknown[] };
          assert.deepEqual(disposition.rules, [{ code: 'Sold', ...rule }]);
        }
      });

      it('name a rule without a condition or with both names', () => {
        for (const rule of [{}, { when: '{{call.transferred}}', if: '{{call.transferred}}' }]) {
          const problem = onlyProblem(withDisposition(rule));
          assertNames(problem, ['(id "disposition")', 'field "rules[0]"', '"when"']);
        }
      });

      it('name a condition that asks about an action that runs later', () => {
        const raw = withDisposition({ when: '{{actions.crm.run.status}} == failed' });
        raw.actions.afterCall.push({ id: 'crm', type: 'http_request', url: 'https://crm.example.com' });

        const problem = onlyProblem(raw);

        assertNames(problem, ['field "rules[0].when"', '"crm" runs later in the after-call stage']);
      });

      it('refuse the LLM classifier when no model is configured, naming the field', () => {
        const raw = withDisposition({ when: '{{call.transferred}}' }, { classifier: 'llm' });

        let problems: string[] = [];
        try {
          parseAgent(raw, SOURCE, {});
        } catch (err) {
          problems = (err as ConfigError).sentences;
        }

        assert.equal(problems.length, 1, problems.join('\n'));
        assertNames(problems[0], ['(id "disposition")', 'field "classifier"', 'LLM_MODEL']);
        assert.doesNotThrow(() =>
          parseAgent(raw, SOURCE, { LLM_MODEL: 'm', LLM_BASE_URL: 'http://127.0.0.1:1' }),
        );
      });
    });

    it('names a transfer target whose number is not E.164', () => {
      const raw = shopAgent();
      raw.transferTargets = { sales: { number: '555-0100' } };

      const problem = onlyProblem(raw);

      assertNames(problem, ['agent "shop"', 'field "transferTargets.sales.number"', 'E.164']);
    });

    it('reports every schema problem in one file', () => {
      const raw = shopAgent();
      raw.name = '';
      raw.actions.afterCall[1].type = 'fax';
      raw.actions.afterCall[0].bogus = true;
      raw.actions.duringCall[0].timeoutSeconds = -1;

      const problems = problemsOf(raw);

      assert.equal(problems.length, 4, problems.join('\n'));
      assert.ok(problems.some((p) => p.includes('field "name"')));
      assert.ok(problems.some((p) => p.includes('(id "sms"): field "type"')));
      assert.ok(problems.some((p) => p.includes('(id "ticket"): field "bogus": unknown setting')));
      assert.ok(problems.some((p) => p.includes('(id "lookup"): field "timeoutSeconds"')));
    });

    it('reports every reference problem in one file, several in one field', () => {
      const raw = shopAgent();
      raw.actions.afterCall[1].body = '{{call.nope}} {{args.order_id}}';
      raw.actions.afterCall[0].url = 'https://api.example.com/{{env.API_KEY}}';
      raw.actions.afterCall[0].id = 'lookup';

      const problems = problemsOf(raw);

      assert.equal(problems.length, 4, problems.join('\n'));
      assert.ok(problems.some((p) => p.includes('duplicate action id "lookup"')));
      assert.ok(problems.some((p) => p.includes('"API_KEY" is not listed')));
      assert.ok(problems.some((p) => p.includes('the call has no field "nope"')));
      assert.ok(problems.some((p) => p.includes('after-call actions have no tool-call arguments')));
    });

    it('names the file of a YAML syntax error', () => {
      const dir = tempDir({ 'broken.yaml': 'id: broken\nname: [unclosed\n' });

      assert.throws(
        () => loadAgents([dir]),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.problems.length === 1 &&
          err.sentences[0].startsWith(`${path.join(dir, 'broken.yaml')}: not valid YAML`),
      );
    });

    it('names an agent id that two files define', () => {
      const dir = tempDir({
        'a.yaml': YAML.stringify(shopAgent()),
        'b.yml': YAML.stringify({ ...shopAgent(), name: 'Another shop line' }),
      });

      assert.throws(
        () => loadAgents([dir]),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.problems.length === 1 &&
          err.sentences[0] ===
            `agent "shop" in ${path.join(dir, 'b.yml')}: field "id": another file defines it too`,
      );
    });

    it('reports the problems of every file in a directory', () => {
      const first = shopAgent();
      first.actions.afterCall[1].type = 'fax';
      const second = { ...shopAgent(), id: 'other' };
      second.actions.afterCall[0].bogus = true;
      const dir = tempDir({ 'a.yaml': YAML.stringify(first), 'b.json': JSON.stringify(second) });

      assert.throws(
        () => loadAgents([dir]),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.problems.length === 2 &&
          err.sentences[0].includes(`agent "shop" in ${path.join(dir, 'a.yaml')}`) &&
          err.sentences[1].includes(`agent "other" in ${path.join(dir, 'b.json')}`),
      );
    });
  });

  describe('problems as data', () => {
    /** The structured problems parseAgent reports for a raw agent; fails if the agent is accepted. */
    function structuredProblems(raw: unknown): ConfigProblem[] {
      try {
        parseAgent(raw, SOURCE);
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
      }
      assert.fail('the agent was accepted');
    }

    it('names the agent, the action and the field of an unknown action type', () => {
      const raw = shopAgent();
      raw.actions.afterCall[1].type = 'fax';

      const [problem, ...rest] = structuredProblems(raw);

      assert.deepEqual(rest, []);
      assert.deepEqual(
        { ...problem, message: undefined },
        {
          source: SOURCE,
          agent: 'shop',
          action: { stage: 'afterCall', index: 1, id: 'sms' },
          field: 'actions.afterCall[1].type',
          message: undefined,
        },
      );
      assert.match(problem.message, /^unknown action type "fax" \(known: .*send_sms/);
    });

    it('names a setting the action type does not have', () => {
      const raw = shopAgent();
      raw.actions.duringCall[0].bogus = true;

      assert.deepEqual(structuredProblems(raw), [
        {
          source: SOURCE,
          agent: 'shop',
          action: { stage: 'duringCall', index: 0, id: 'lookup' },
          field: 'actions.duringCall[0].bogus',
          message: 'unknown setting',
        },
      ]);
    });

    it('gives a problem outside the actions no action', () => {
      const raw = shopAgent();
      raw.transferTargets = { sales: { number: '+14155550100', fallback: [{ target: 'nobody' }] } };

      assert.deepEqual(structuredProblems(raw), [
        {
          source: SOURCE,
          agent: 'shop',
          field: 'transferTargets.sales.fallback[0].target',
          message: 'there is no transfer target "nobody"',
        },
      ]);
    });

    it('marks a reference to an action that runs later with that action', () => {
      const raw = shopAgent();
      raw.actions.afterCall[0].url = 'https://api.example.com/tickets/{{actions.sms.sid}}';

      const problems = structuredProblems(raw);

      assert.equal(problems.length, 1, problems.map((p) => p.message).join('\n'));
      assert.deepEqual(problems[0].action, { stage: 'afterCall', index: 0, id: 'ticket' });
      assert.equal(problems[0].field, 'actions.afterCall[0].url');
      assert.deepEqual(problems[0].later, { reference: '{{actions.sms.sid}}', action: 'sms' });
    });

    it('reports an agent without an id as null, and a whole-agent problem with an empty field', () => {
      const problems = structuredProblems({ name: 'Nameless', actions: {} });
      assert.deepEqual(problems, [{ source: SOURCE, agent: null, field: 'id', message: 'required' }]);

      const wrong = structuredProblems('not an agent');
      assert.equal(wrong.length, 1);
      assert.equal(wrong[0].agent, null);
      assert.equal(wrong[0].field, '');
    });

    it('reports a file that does not parse without an agent', () => {
      const dir = tempDir({ 'broken.yaml': 'id: broken\nname: [unclosed\n' });
      const file = path.join(dir, 'broken.yaml');

      assert.throws(
        () => loadAgents([dir]),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.equal(err.problems.length, 1);
          const [problem] = err.problems;
          assert.equal(problem.source, file);
          assert.equal(problem.agent, undefined);
          assert.match(problem.message, /^not valid YAML: /);
          return true;
        },
      );
    });

    it('renders each problem as the line the command line prints', () => {
      const base = { source: 'a.yaml', message: 'wrong' };
      assert.equal(
        describeProblem({
          ...base,
          agent: 'shop',
          action: { stage: 'afterCall', index: 1, id: 'sms' },
          field: 'actions.afterCall[1].rules[0].code',
        }),
        'agent "shop" in a.yaml: actions.afterCall[1] (id "sms"): field "rules[0].code": wrong',
      );
      assert.equal(
        describeProblem({
          ...base,
          agent: 'shop',
          action: { stage: 'duringCall', index: 0 },
          field: 'actions.duringCall[0]',
        }),
        'agent "shop" in a.yaml: actions.duringCall[0]: field "(action)": wrong',
      );
      assert.equal(
        describeProblem({ ...base, agent: null, field: '' }),
        'agent (no id) in a.yaml: field "(root)": wrong',
      );
      assert.equal(describeProblem({ ...base, field: '' }), 'a.yaml: wrong');
    });
  });

  describe('starting the service with a bad agent', () => {
    it('exits non-zero and prints each problem to stderr, without a stack trace', async () => {
      const raw = shopAgent();
      raw.actions.afterCall[1].type = 'fax';
      raw.actions.afterCall[0].bogus = true;
      const dir = tempDir({ 'shop.yaml': YAML.stringify(raw) });
      const dataDir = path.join(dir, 'data');
      mkdirSync(dataDir);

      const result = await runMain({ CALLFLOW_AGENTS: dir, CALLFLOW_DATA_DIR: dataDir, PORT: '0' });

      assert.notEqual(result.code, 0, result.stderr);
      assert.notEqual(result.code, null, 'the process was killed, not exited');
      const lines = result.stderr.split('\n');
      assert.ok(
        lines.some((l) =>
          l.includes('actions.afterCall[1] (id "sms"): field "type": unknown action type "fax"'),
        ),
        result.stderr,
      );
      assert.ok(
        lines.some((l) => l.includes('actions.afterCall[0] (id "ticket"): field "bogus": unknown setting')),
        result.stderr,
      );
      assert.deepEqual(
        lines.filter((l) => l.startsWith('    at ')),
        [],
      );
      assert.ok(!result.stdout.includes('callflow is running'), result.stdout);
    });
  });
});
