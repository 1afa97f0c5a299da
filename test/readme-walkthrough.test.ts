import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ActionRun, CallRecord } from '../src/shared/types';
import { freePort } from '../src/temporal/free-port';
import { type ServiceProcess, startService } from './kit/service';
import { eventually, TEST_CODEC_KEYS, testServer } from './kit/temporal';

const ROOT = path.resolve(__dirname, '..');
const HEADING = '### Walk one call through';
const MARK = '@@readme-walkthrough-statement@@';

/** One shell statement of the walk-through, with the step comment above it and the output the README shows. */
interface Statement {
  text: string;
  step: string;
  /** `# {...}` right below the statement: the answer it promises, `...` standing for the rest. */
  promised?: Record<string, unknown>;
}

/** The first fenced block after the walk-through's heading, split into statements as bash would read them. */
function walkThrough(readme: string): Statement[] {
  const start = readme.indexOf(`\n${HEADING}\n`);
  assert.ok(start >= 0, `README.md has no "${HEADING}" section`);
  const block = /```(?:sh|bash)\n([\s\S]*?)\n```/.exec(readme.slice(start));
  assert.ok(block, `no fenced sh block under "${HEADING}"`);
  const statements: Statement[] = [];
  let step = '';
  let open: string[] | undefined;
  for (const line of block[1].split('\n')) {
    if (open) {
      open.push(line);
    } else if (/^#\s*\{/.test(line.trim()) && statements.length) {
      statements[statements.length - 1].promised = JSON.parse(line.trim().slice(1).replaceAll(',...', ''));
      continue;
    } else if (line.trim().startsWith('#')) {
      const numbered = /^#\s*(\d+[a-z]?)\./.exec(line.trim());
      if (numbered) step = numbered[1];
      continue;
    } else if (line.trim()) {
      open = [line];
    } else {
      continue;
    }
    const text = open.join('\n');
    // A statement goes on while a single-quoted string is open or the line ends in a backslash.
    const quotes = (text.match(/'/g) ?? []).length;
    if (quotes % 2 === 0 && !text.endsWith('\\')) {
      statements.push({ text, step });
      open = undefined;
    }
  }
  assert.equal(open, undefined, 'the block ends inside a statement');
  return statements;
}

/**
 * Runs statements in one bash, as a reader pasting them would, with the real curl; returns each one's output.
 * Only PORT comes from the test: the README's commands read it themselves.
 */
function runInBash(statements: Statement[], cwd: string, port: number): string[] {
  const script = statements.map((s) => `${s.text}\nprintf '\\n${MARK}\\n'`).join('\n');
  const run = spawnSync('bash', ['-s'], {
    cwd,
    input: script,
    encoding: 'utf8',
    timeout: 60_000,
    // HOME is the scratch directory, so no ~/.curlrc changes what curl sends.
    env: { PATH: process.env.PATH, HOME: cwd, PORT: String(port) },
  });
  assert.equal(run.status, 0, `bash failed: ${run.stderr}`);
  const outputs = run.stdout.split(`\n${MARK}\n`);
  assert.equal(outputs.length, statements.length + 1, run.stdout);
  return outputs.slice(0, -1);
}

/** `actual` has every field `expected` names, with the same values (objects compared field by field). */
function assertContains(actual: unknown, expected: unknown, at = '$'): void {
  if (expected && typeof expected === 'object' && !Array.isArray(expected)) {
    assert.ok(
      actual && typeof actual === 'object',
      `${at}: expected an object, got ${JSON.stringify(actual)}`,
    );
    for (const [k, v] of Object.entries(expected)) {
      assertContains((actual as Record<string, unknown>)[k], v, `${at}.${k}`);
    }
    return;
  }
  assert.deepEqual(actual, expected, at);
}

/**
 * The README's "Walk one call through", as written, against the service `npm start` runs: on a port other than
 * the default, with its commands taken from README.md and run by bash and curl, so the front door can't drift.
 */
describe('the README walk-through, run as written against npm start on another port', () => {
  let service: ServiceProcess | undefined;
  let scratch: string;
  let port: number;
  let statements: Statement[];
  let outputs: string[];
  let record: CallRecord;

  const outputOf = (pattern: RegExp): string => {
    const i = statements.findIndex((s) => pattern.test(s.text));
    assert.ok(i >= 0, `no statement matches ${pattern}`);
    return outputs[i];
  };
  const jsonOf = (pattern: RegExp): any => {
    const text = outputOf(pattern);
    try {
      return JSON.parse(text);
    } catch {
      assert.fail(`not JSON from ${pattern}: ${text}`);
    }
  };

  before(async function () {
    this.timeout(180_000);
    statements = walkThrough(readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    assert.equal(spawnSync('curl', ['--version']).status, 0, 'the walk-through needs curl on PATH');
    const server = await testServer();
    do port = await freePort();
    while (port === 3000);
    // The README reads the token from .data/api-token where npm start ran: the scratch directory plays that part.
    scratch = mkdtempSync(path.join(tmpdir(), 'callflow-readme-'));
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => !/^(CALLFLOW_|TWILIO_|HUBSPOT_|SALESFORCE_|LLM_|GOOGLE_|MICROSOFT_|CALCOM_)/.test(k),
      ),
    );
    service = await startService(
      {
        ...env,
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_TASK_QUEUE: `readme-${process.pid}`,
        CALLFLOW_DATA_DIR: path.join(scratch, '.data'),
        CALLFLOW_CODEC_KEYS: TEST_CODEC_KEYS,
        PORT: String(port),
      },
      150_000,
    );
    assert.match(service.stdout, new RegExp(`API\\s+http://localhost:${port}/v1`));

    outputs = runInBash(statements, scratch, port);
    // "A moment later": the record is read again, as written, until the after-call actions are done.
    const setup = statements.slice(
      0,
      statements.findIndex((s) => s.text.includes('curl')),
    );
    const recordRead = statements.at(-1)!;
    record = await eventually(
      () => {
        const answer = runInBash([...setup, recordRead], scratch, port).at(-1)!;
        const body = JSON.parse(answer) as { status: string; record?: CallRecord };
        return body.status === 'completed' ? body.record : undefined;
      },
      60_000,
      'the completed call record',
    );
    outputs[outputs.length - 1] = JSON.stringify({ status: 'completed', record });
  });

  after(async function () {
    this.timeout(60_000);
    await service?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('finds the numbered steps in README.md, each with its curl', () => {
    const steps = [...new Set(statements.filter((s) => s.text.includes('curl')).map((s) => s.step))];
    assert.deepEqual(steps, ['1', '2', '2b', '3', '4']);
    assert.ok(
      statements.some((s) => /\$\{PORT:-3000\}/.test(s.text)),
      'the commands follow PORT',
    );
  });

  it('starts the call with its first events', () => {
    assert.deepEqual(jsonOf(/events -d '\{\n\s*"agentId"/), { callId: 'demo-1', accepted: 2 });
  });

  it("answers the agent's tool call with the output the README shows", () => {
    const lookup = statements.find((s) => s.text.includes('/actions/lookup_order'))!;
    assert.ok(lookup.promised, 'the README shows the lookup answer');
    assertContains(jsonOf(/\/actions\/lookup_order/), lookup.promised);
  });

  it('books the first slot it offered', () => {
    const offered = JSON.parse(outputOf(/^echo "\$SLOTS"$/)) as ActionRun;
    assert.equal(offered.status, 'completed', JSON.stringify(offered));
    const slots = (offered.output as { slots: { start: string }[] }).slots;
    assert.ok(slots.length > 0, 'no slot offered');
    const booked = jsonOf(/\/actions\/book_appointment/) as ActionRun;
    assert.equal(booked.status, 'completed', JSON.stringify(booked));
    assert.equal((booked.output as { start: string }).start, slots[0].start);
  });

  it('ends the call and runs every after-call action, none failed or skipped', () => {
    assert.deepEqual(jsonOf(/"type": "ended"/), { callId: 'demo-1', accepted: 1 });
    assertContains(JSON.parse(outputs.at(-1)!), statements.at(-1)!.promised);
    assert.deepEqual(
      record.actions.filter((a) => a.stage === 'afterCall').map((a) => [a.actionId, a.status]),
      [
        ['extract', 'completed'],
        ['disposition', 'completed'],
        ['open_ticket', 'completed'],
        ['appointment_sms', 'completed'],
        ['log_appointment', 'completed'],
        ['crm', 'completed'],
        ['follow_up_sms', 'completed'],
      ],
    );
    assert.equal(record.disposition, 'Appointment Set');
  });

  it('records the texts as dry runs, with the exact words that would have gone out', () => {
    const output = (id: string) =>
      record.actions.find((a) => a.actionId === id)?.output as Record<string, unknown>;
    const ticket = (output('open_ticket') as { ticket: string }).ticket;
    assert.ok(ticket, 'the demo API opened a ticket');
    const order = output('lookup_order') as { order_status: string; eta: string };
    assertContains(output('follow_up_sms'), {
      provider: 'dry-run',
      status: 'not_sent',
      to: '+14155550142',
      body: `Thanks for calling Acme. Your order is ${order.order_status} (ETA ${order.eta}). Ticket ${ticket}.`,
    });
    const booked = record.actions.find((a) => a.actionId === 'book_appointment')?.output as {
      start_spoken: string;
    };
    assertContains(output('appointment_sms'), {
      provider: 'dry-run',
      status: 'not_sent',
      body: `Acme: your service call is booked for ${booked.start_spoken}. Reply STOP to opt out.`,
    });
  });

  it('starts the record at its first event, before its end', () => {
    assert.equal(record.startedAt, '2026-03-03T14:00:01.000Z');
    assert.equal(record.endedAt, '2026-03-03T14:01:00Z');
    assert.equal((Date.parse(record.endedAt ?? '') - Date.parse(record.startedAt)) / 1000, 59);
  });
});
