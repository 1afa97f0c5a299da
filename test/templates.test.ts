import assert from 'node:assert/strict';
import { fillClaimedValues, hasClaimedValues } from '../src/shared/claimed-values';
import {
  isTruthy,
  parseTemplate,
  referencesIn,
  renderValue,
  resolveSecrets,
  secretPlaceholder,
  type TemplateContext,
  TemplateSyntaxError,
  UndeclaredSecretError,
} from '../src/shared/templates';

function context(overrides: Partial<TemplateContext> = {}): TemplateContext {
  return {
    call: { id: 'c-1', from: '+15551230001' },
    args: {},
    actions: {},
    data: {},
    ...overrides,
  };
}

function syntaxError(pattern: RegExp) {
  return (err: unknown) => err instanceof TemplateSyntaxError && pattern.test(err.message);
}

describe('templates', () => {
  describe('parseTemplate', () => {
    it('splits a template into text and placeholder paths', () => {
      const segments = parseTemplate('Order {{args.order_id}} for {{call.from}}.');

      assert.deepEqual(segments, [
        { text: 'Order ' },
        { path: ['args', 'order_id'], raw: '{{args.order_id}}' },
        { text: ' for ' },
        { path: ['call', 'from'], raw: '{{call.from}}' },
        { text: '.' },
      ]);
    });

    it('returns plain text as one text segment', () => {
      assert.deepEqual(parseTemplate('no placeholders here'), [{ text: 'no placeholders here' }]);
    });

    it('allows whitespace inside the braces and keeps the placeholder as written', () => {
      const segments = parseTemplate('{{  actions.lookup.eta }}');

      assert.deepEqual(segments, [{ path: ['actions', 'lookup', 'eta'], raw: '{{  actions.lookup.eta }}' }]);
    });

    it('accepts numeric path segments for array items', () => {
      assert.deepEqual(parseTemplate('{{data.items.0}}'), [
        { path: ['data', 'items', '0'], raw: '{{data.items.0}}' },
      ]);
    });

    it('rejects an unclosed "{{"', () => {
      assert.throws(() => parseTemplate('Hello {{call.from'), syntaxError(/unclosed "\{\{"/));
    });

    it('rejects a stray "}}"', () => {
      assert.throws(() => parseTemplate('Hello call.from}} there'), syntaxError(/unmatched "\}\}"/));
    });

    it('rejects an empty placeholder', () => {
      assert.throws(() => parseTemplate('{{}}'), syntaxError(/is not a path/));
    });

    it('rejects a placeholder with only whitespace', () => {
      assert.throws(() => parseTemplate('{{   }}'), syntaxError(/is not a path/));
    });

    it('rejects an unknown root and lists the known ones', () => {
      assert.throws(
        () => parseTemplate('{{foo.x}}'),
        syntaxError(/"\{\{foo\.x\}\}" must start with one of call, args, actions, data, env/),
      );
    });

    it('rejects a root with no field', () => {
      assert.throws(() => parseTemplate('{{call}}'), syntaxError(/"\{\{call\}\}" names no field/));
    });

    it('rejects a path with an empty segment', () => {
      assert.throws(() => parseTemplate('{{call.from.}}'), syntaxError(/is not a path/));
    });
  });

  describe('renderValue', () => {
    it('interpolates placeholders inside text', () => {
      const ctx = context({ args: { order_id: 'A-17' } });

      const rendered = renderValue('Order {{args.order_id}} for {{call.from}}', ctx);

      assert.equal(rendered, 'Order A-17 for +15551230001');
    });

    it("renders {{service.url}} from the call's service, and empty without one", () => {
      const template = '{{service.url}}/demo/orders/{{args.id}}';
      const args = { id: 'A-1' };

      assert.equal(
        renderValue(template, context({ args, service: { url: 'http://127.0.0.1:3900' } })),
        'http://127.0.0.1:3900/demo/orders/A-1',
      );
      assert.equal(renderValue(template, context({ args })), '/demo/orders/A-1');
    });

    it('keeps the type of a number when the string is a single placeholder', () => {
      assert.equal(renderValue('{{args.count}}', context({ args: { count: 3 } })), 3);
    });

    it('keeps the type of a boolean when the string is a single placeholder', () => {
      assert.equal(renderValue('{{ args.urgent }}', context({ args: { urgent: false } })), false);
    });

    it('keeps an object when the string is a single placeholder', () => {
      const ctx = context({ actions: { lookup: { order: { id: 7, tags: ['a'] } } } });

      assert.deepEqual(renderValue('{{actions.lookup.order}}', ctx), { id: 7, tags: ['a'] });
    });

    it('writes numbers, booleans and objects as text when mixed with other text', () => {
      const ctx = context({ args: { n: 3, ok: true, o: { a: 1 } } });

      assert.equal(renderValue('n={{args.n}} ok={{args.ok}} o={{args.o}}', ctx), 'n=3 ok=true o={"a":1}');
    });

    it('renders a missing value as an empty string, alone or inside text', () => {
      const ctx = context();

      assert.deepEqual(renderValue({ alone: '{{args.missing}}', inside: '[{{data.a.b.c}}]' }, ctx), {
        alone: '',
        inside: '[]',
      });
    });

    it('renders every string inside nested objects and arrays and leaves other values as they are', () => {
      const ctx = context({ args: { order_id: 'A-17' }, data: { tier: 'gold' } });

      const rendered = renderValue(
        {
          url: '/orders/{{args.order_id}}',
          body: { tier: '{{data.tier}}', lines: ['{{call.id}}', { caller: '{{call.from}}' }], qty: 2 },
          flag: true,
          none: null,
        },
        ctx,
      );

      assert.deepEqual(rendered, {
        url: '/orders/A-17',
        body: { tier: 'gold', lines: ['c-1', { caller: '+15551230001' }], qty: 2 },
        flag: true,
        none: null,
      });
    });

    it('renders {{env.X}} as a marker that only resolveSecrets fills, so the secret stays out of history', () => {
      const rendered = renderValue({ auth: 'Bearer {{ env.API_KEY }}', key: '{{env.API_KEY}}' }, context());

      assert.deepEqual(rendered, {
        auth: `Bearer ${secretPlaceholder('API_KEY')}`,
        key: secretPlaceholder('API_KEY'),
      });
      assert.deepEqual(resolveSecrets(rendered, ['API_KEY'], { API_KEY: 'k-123' }), {
        auth: 'Bearer k-123',
        key: 'k-123',
      });
    });

    it('fills {{env.X}} when an environment is given', () => {
      const rendered = renderValue('Bearer {{env.API_KEY}}', context({ env: { API_KEY: 'k-123' } }));

      assert.equal(rendered, 'Bearer k-123');
    });

    it('passes a {{env.X}} text arriving inside a substituted value through verbatim, unfilled', () => {
      const ctx = context({ args: { note: 'see {{env.SECRET}}' } });

      const rendered = renderValue({ alone: '{{args.note}}', inside: 'Note: {{args.note}}' }, ctx);

      assert.deepEqual(resolveSecrets(rendered, ['SECRET'], { SECRET: 'hunter2' }), {
        alone: 'see {{env.SECRET}}',
        inside: 'Note: see {{env.SECRET}}',
      });
    });

    it('never fills a secret for placeholders nested inside a substituted object', () => {
      const ctx = context({ data: { profile: { notes: ['{{env.SECRET}}', secretPlaceholder('SECRET')] } } });

      const rendered = renderValue('{{data.profile}}', ctx);

      assert.ok(
        !JSON.stringify(resolveSecrets(rendered, ['SECRET'], { SECRET: 'hunter2' })).includes('hunter2'),
      );
    });

    it('never fills a secret for a placeholder preceded by an extra "{" in a substituted value', () => {
      const ctx = context({ args: { note: '{{{env.SECRET}}' } });

      const rendered = renderValue('{{args.note}}', ctx);

      assert.ok(
        !String(resolveSecrets(rendered, ['SECRET'], { SECRET: 'hunter2' })).includes('hunter2'),
        `rendered as ${JSON.stringify(rendered)}`,
      );
    });

    it('never fills a secret for a placeholder assembled from two adjacent substituted values', () => {
      const ctx = context({ args: { a: '{', b: '{env.SECRET}}' } });

      const rendered = renderValue('{{args.a}}{{args.b}}', ctx);

      assert.ok(
        !String(resolveSecrets(rendered, ['SECRET'], { SECRET: 'hunter2' })).includes('hunter2'),
        `rendered as ${JSON.stringify(rendered)}`,
      );
    });

    it('never fills a secret for a forged marker, even split across two values', () => {
      const marker = secretPlaceholder('SECRET');
      const ctx = context({ args: { a: marker.slice(0, 4), b: marker.slice(4) } });

      const rendered = renderValue('{{args.a}}{{args.b}}', ctx);

      assert.ok(!String(resolveSecrets(rendered, ['SECRET'], { SECRET: 'hunter2' })).includes('hunter2'));
    });
  });

  describe('resolveSecrets', () => {
    it('fills a declared secret from the environment, anywhere in the value', () => {
      const value = { headers: { authorization: 'Bearer {{env.API_KEY}}' }, list: ['{{ env.API_KEY }}'] };

      const resolved = resolveSecrets(renderValue(value, context()), ['API_KEY'], { API_KEY: 'k-123' });

      assert.deepEqual(resolved, { headers: { authorization: 'Bearer k-123' }, list: ['k-123'] });
    });

    it('leaves values without placeholders untouched', () => {
      const value = { n: 1, b: false, s: 'plain', none: null };

      assert.deepEqual(resolveSecrets(value, [], {}), value);
    });

    it('refuses a secret the agent did not declare, even when it is set', () => {
      assert.throws(
        () =>
          resolveSecrets(secretPlaceholder('DATABASE_URL'), ['API_KEY'], { DATABASE_URL: 'postgres://x' }),
        (err: unknown) =>
          err instanceof UndeclaredSecretError &&
          /\{\{env\.DATABASE_URL\}\} is not a declared secret/.test(err.message),
      );
    });

    it('refuses a declared secret that is not set in the environment', () => {
      assert.throws(
        () => resolveSecrets(secretPlaceholder('API_KEY'), ['API_KEY'], {}),
        (err: unknown) =>
          err instanceof UndeclaredSecretError &&
          /secret API_KEY is not set in the environment/.test(err.message),
      );
    });
  });

  describe('isTruthy', () => {
    const table: [unknown, boolean][] = [
      [true, true],
      [false, false],
      [1, true],
      [-1, true],
      [0, false],
      [null, false],
      [undefined, false],
      ['', false],
      ['   ', false],
      ['false', false],
      ['FALSE', false],
      [' False ', false],
      ['0', false],
      ['no', false],
      ['No', false],
      ['null', false],
      ['undefined', false],
      ['yes', true],
      ['true', true],
      ['gold', true],
      ['00', true],
      [{}, true],
      [[], true],
    ];
    for (const [value, expected] of table) {
      it(`treats ${JSON.stringify(value) ?? 'undefined'} as ${expected}`, () => {
        assert.equal(isTruthy(value), expected);
      });
    }
  });

  describe('optional references', () => {
    it('render empty when missing and are not dependencies', () => {
      const rendered = renderValue('event {{actions.book.event_id?}}.', context());
      assert.equal(rendered, 'event .');
      assert.deepEqual(referencesIn('{{actions.book.event_id?}} {{data.name}}'), [['data', 'name']]);
      assert.deepEqual(referencesIn('{{actions.book.event_id?}}', { includeOptional: true }), [
        ['actions', 'book', 'event_id'],
      ]);
    });
  });
});

describe('collected values kept in the store', () => {
  const claimed = { $claim: 'claim:abc', bytes: 120_000 };
  const ctx = context({ data: { notes: claimed, name: 'Ada' } });
  const stored = { 'claim:abc': { lines: ['a', 'b'] } } as Record<string, unknown>;
  const open = async (ref: string) => stored[ref];

  it('render as a marker, never as the ref object, and the activity fills in the value', async () => {
    const rendered = renderValue(
      { whole: '{{data.notes}}', text: 'Notes for {{data.name}}: {{data.notes}}' },
      ctx,
    ) as {
      whole: string;
      text: string;
    };
    assert.ok(!JSON.stringify(rendered).includes('$claim'));
    assert.ok(hasClaimedValues(rendered.whole) && hasClaimedValues(rendered.text));
    // Alone, the value keeps its type; inside text, it is written as JSON.
    assert.deepEqual(await fillClaimedValues(rendered.whole, open), { lines: ['a', 'b'] });
    assert.equal(await fillClaimedValues(rendered.text, open), 'Notes for Ada: {"lines":["a","b"]}');
  });

  it('leaves a value that only looks like a ref alone when it has other fields', () => {
    const lookalike = { $claim: 'claim:abc', bytes: 1, more: true };
    assert.deepEqual(renderValue('{{data.x}}', context({ data: { x: lookalike } })), lookalike);
  });
});
