import assert from 'node:assert/strict';
import { MODELS, parseLocalLlmArgs } from '../scripts/local-llm';
import { type IvrScenario, scoreNavigatorWithModel } from '../src/ivr/accuracy';

describe('npm run llm:local arguments', () => {
  it('defaults to the accuracy command and the first model, and passes the rest on', () => {
    const args = parseLocalLlmArgs(['--', '--misses', '--set=a,b']);
    assert.equal(args.command, 'accuracy');
    assert.equal(args.model, MODELS[0]);
    assert.deepEqual(args.rest, ['--misses', '--set=a,b']);
  });

  it('reads the command, --model (full name or a prefix ending at a dash) and --port in either form', () => {
    const name = MODELS[0].name;
    const prefix = name.split('-').slice(0, 2).join('-');
    for (const argv of [
      ['ivr', '--model', name, '--port', '8088', '--tuning'],
      [`--model=${prefix}`, 'ivr', '--port=8088', '--tuning'],
    ]) {
      const args = parseLocalLlmArgs(argv);
      assert.equal(args.command, 'ivr');
      assert.equal(args.model.name, name);
      assert.equal(args.port, 8088);
      assert.deepEqual(args.rest, ['--tuning']);
    }
    assert.equal(parseLocalLlmArgs(['--model', 'list']).command, 'list');
    assert.equal(parseLocalLlmArgs(['serve', '--threads', '1']).threads, 1);
    assert.equal(parseLocalLlmArgs(['serve']).threads, undefined);
  });

  it('refuses an unknown command, model or port, naming what is allowed', () => {
    assert.throws(() => parseLocalLlmArgs(['bench']), /unknown command bench: use accuracy, ivr or serve/);
    assert.throws(
      () => parseLocalLlmArgs(['--model', 'llama-9b']),
      /unknown model "llama-9b": use one of qwen2\.5/,
    );
    assert.throws(() => parseLocalLlmArgs(['serve', '--port', 'x']), /--port must be a port number/);
    assert.throws(() => parseLocalLlmArgs(['serve', '--model']), /--model needs a value/);
    assert.throws(
      () => parseLocalLlmArgs(['serve', '--threads=0']),
      /--threads must be a whole number above 0/,
    );
  });

  it('pins every model to a SHA-256 of its joined file', () => {
    for (const m of MODELS) assert.match(m.sha256, /^[0-9a-f]{64}$/, m.name);
  });
});

describe('IVR accuracy with a second opinion', () => {
  const scenario: IvrScenario = {
    name: 'open prompt',
    goal: { target: 'lost card', data: { account_number: '12345' } },
    prompts: [
      {
        text: 'Please tell me in a few words why you are calling. You can say things like billing, or technical support.',
        expect: { kind: 'say', text: 'report a lost card' },
      },
    ],
  };

  it('asks only below the threshold, takes a valid choice and keeps the parser on an invalid reply or error', async () => {
    const requests: unknown[] = [];
    const taken = await scoreNavigatorWithModel(
      [scenario],
      async (req) => {
        requests.push(req);
        return { decision: { kind: 'say', text: 'report a lost card', reason: 'model' } };
      },
      0.6,
    );
    assert.equal(taken.correct, 1);
    assert.deepEqual(
      {
        asked: taken.model.asked,
        taken: taken.model.taken,
        kept: taken.model.kept,
        failed: taken.model.failed,
      },
      { asked: 1, taken: 1, kept: 0, failed: 0 },
    );
    assert.equal((requests[0] as { goal: string }).goal, 'lost card');
    assert.deepEqual((requests[0] as { knownValues: string[] }).knownValues, ['account_number']);

    const kept = await scoreNavigatorWithModel(
      [scenario],
      async (req) => ({ decision: req.fallback, kept: 'the model did not answer with a valid choice' }),
      0.6,
    );
    assert.equal(kept.model.kept, 1);
    assert.equal(kept.correct, 0);

    const failed = await scoreNavigatorWithModel(
      [scenario],
      async () => {
        throw new Error('timeout');
      },
      0.6,
    );
    assert.equal(failed.model.failed, 1);
    assert.equal(failed.correct, 0);

    const notAsked = await scoreNavigatorWithModel(
      [scenario],
      async () => assert.fail('asked above the threshold'),
      0.1,
    );
    assert.equal(notAsked.model.asked, 0);
  });
});
