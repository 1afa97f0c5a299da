// A transfer target's fallback chain: an ordered list of steps, each one of the kinds the schema's union
// allows (another target, voicemail, back to the agent). Steps are added, removed and moved with buttons;
// a target step chooses among the other targets by a key that survives renaming them.
import { announce, clear, h, json, uid } from '../dom.js';
import { objectFields } from '../schema-form.js';

const KIND_LABELS = {
  target: 'Another transfer target',
  voicemail: 'Voicemail',
  agent: 'Back to the AI agent',
};
const LABELS = { greeting: 'Voicemail greeting', offerCallback: 'Offer the caller a callback' };

/** The step kinds of the union: each variant is an object with one required property, its kind. */
function kindsOf(schema) {
  return (schema.items?.anyOf ?? schema.items?.oneOf ?? [])
    .map((variant) => {
      const kind = variant.required?.[0];
      return kind ? { kind, schema: variant.properties?.[kind] ?? {} } : null;
    })
    .filter(Boolean);
}

/**
 * @param {object} schema JSON Schema of the fallback array
 * @param {object[]} steps the stored steps
 * @param {{
 *   slots: import('./problems.js').ProblemSlots,
 *   path: string,
 *   own: string,
 *   targets: () => { key: string, name: string }[],
 *   keyOf: (name: string) => string | undefined,
 * }} opts own: this target's key, which its own chain cannot name
 */
export function fallbackChainFields(schema, steps, opts) {
  const kinds = kindsOf(schema);
  const model = steps.map((step) => fromStored(step));
  const list = h('ol', { class: 'fallback' });
  const add = h(
    'button',
    {
      type: 'button',
      onclick: () => {
        sync();
        model.push({ kind: kinds[0]?.kind ?? 'json', value: {} });
        render();
        announce(`Fallback step ${model.length} added`);
        list.lastElementChild?.querySelector('select')?.focus();
        changed();
      },
    },
    '+ Fallback step',
  );
  const headId = uid('fallback');
  const element = h(
    'div',
    { class: 'fallback-chain', role: 'group', 'aria-labelledby': headId },
    h('span', { class: 'day-name', id: headId }, 'Fallback chain'),
    h(
      'p',
      { class: 'hint' },
      schema.description ?? 'Tried in order when this target does not take the call',
      '.',
    ),
    list,
    add,
  );
  element.append(opts.slots.add(opts.path, element, 'Fallback chain'));
  let rendered = [];

  function fromStored(step) {
    const kind = kinds.find((k) => step && typeof step === 'object' && k.kind in step)?.kind;
    if (!kind) return { kind: 'json', value: step };
    if (kind === 'target') {
      const key = opts.keyOf(step.target);
      return key ? { kind, key } : { kind, missing: step.target };
    }
    return { kind, value: step[kind] ?? {} };
  }

  function changed() {
    element.dispatchEvent(new Event('input', { bubbles: true }));
  }

  /** The DOM's choices back into the model, before the list is drawn again. */
  function sync() {
    rendered.forEach((r, i) => {
      model[i] = r.current();
    });
  }

  function move(from, to) {
    if (to < 0 || to >= model.length) return;
    sync();
    const [step] = model.splice(from, 1);
    model.splice(to, 0, step);
    render();
    announce(`Fallback step moved to position ${to + 1} of ${model.length}`);
    // Focus stays on the moved step: the same move button, or the other one once it reached an end.
    const moved = list.children[to];
    const same = moved?.querySelector(`button[data-move="${to > from ? 'down' : 'up'}"]:not(:disabled)`);
    (same ?? moved?.querySelector('button[data-move]:not(:disabled)'))?.focus();
    changed();
  }

  function render() {
    rendered = model.map((step, i) => stepEditor(step, i));
    clear(
      list,
      rendered.length
        ? rendered.map((r) => r.li)
        : h('li', { class: 'empty' }, 'No fallback: the call comes back to the agent.'),
    );
  }

  function stepEditor(step, i) {
    const n = i + 1;
    const where = `${opts.path}[${i}]`;
    const kindId = uid('step');
    const kindSelect = h(
      'select',
      {
        id: kindId,
        onchange: () => {
          sync();
          const kind = kindSelect.value;
          model[i] = kind === 'target' ? { kind } : { kind, value: {} };
          render();
          list.children[i]?.querySelector('select')?.focus();
        },
      },
      kinds.map((k) =>
        h(
          'option',
          { value: k.kind, selected: k.kind === step.kind || undefined },
          KIND_LABELS[k.kind] ?? k.kind,
        ),
      ),
      step.kind === 'json' ? h('option', { value: 'json', selected: true }, 'Other (JSON)') : null,
    );
    const detail = stepDetail(step, where, n);
    const li = h(
      'li',
      { class: 'step' },
      h(
        'div',
        { class: 'field' },
        h('label', { for: kindId }, `Step ${n}`),
        kindSelect,
        opts.slots.add(where, kindSelect, `Step ${n}`),
      ),
      detail.element,
      h(
        'div',
        { class: 'buttons' },
        h(
          'button',
          {
            type: 'button',
            'data-move': 'up',
            'aria-label': `Move fallback step ${n} up`,
            disabled: i === 0 || undefined,
            onclick: () => move(i, i - 1),
          },
          '↑',
        ),
        h(
          'button',
          {
            type: 'button',
            'data-move': 'down',
            'aria-label': `Move fallback step ${n} down`,
            disabled: i === model.length - 1 || undefined,
            onclick: () => move(i, i + 1),
          },
          '↓',
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'danger',
            'aria-label': `Remove fallback step ${n}`,
            onclick: () => {
              sync();
              model.splice(i, 1);
              render();
              announce(`Fallback step ${n} removed`);
              add.focus();
              changed();
            },
          },
          'Remove',
        ),
      ),
    );
    return { li, current: detail.current, read: detail.read, refresh: detail.refresh };
  }

  function stepDetail(step, where, n) {
    if (step.kind === 'target') return targetChoice(step, where, n);
    if (step.kind === 'json') return jsonStep(step, where, n);
    const kind = kinds.find((k) => k.kind === step.kind);
    const fields = objectFields(
      kind.schema,
      step.value,
      {
        slots: opts.slots,
        labels: LABELS,
        templates: new Set(),
      },
      `${where}.${step.kind}`,
    );
    return {
      element: fields.element,
      current: () => ({ kind: step.kind, value: fields.read().value }),
      read: () => {
        const r = fields.read();
        return { value: { [step.kind]: r.value }, problems: r.problems };
      },
    };
  }

  function targetChoice(step, where, n) {
    const id = uid('step-target');
    const select = h('select', { id, required: true });
    const current = () => {
      if (select.value.startsWith('missing:')) return { kind: 'target', missing: select.value.slice(8) };
      return { kind: 'target', key: select.value || undefined };
    };
    const fill = (chosen) => {
      const others = opts.targets().filter((t) => t.key !== opts.own);
      clear(
        select,
        h('option', { value: '' }, 'Choose a target…'),
        others.map((t) =>
          h(
            'option',
            { value: t.key, selected: t.key === chosen.key || undefined },
            t.name || '(unnamed target)',
          ),
        ),
        chosen.missing
          ? h(
              'option',
              { value: `missing:${chosen.missing}`, selected: true },
              `${chosen.missing} (no such target)`,
            )
          : null,
      );
    };
    fill(step);
    return {
      element: h(
        'div',
        { class: 'field' },
        h('label', { for: id }, `Step ${n}: transfer to`),
        select,
        opts.slots.add(`${where}.target`, select, 'Transfer to'),
      ),
      current,
      refresh: () => fill(current()),
      read: () => {
        const c = current();
        const name = c.missing ?? opts.targets().find((t) => t.key === c.key)?.name;
        if (!name) return { problems: [{ field: `${where}.target`, message: 'choose a target' }] };
        return { value: { target: name }, problems: [] };
      },
    };
  }

  function jsonStep(step, where, n) {
    const id = uid('step-json');
    const input = h('textarea', { id, class: 'code', rows: 3, spellcheck: 'false', value: json(step.value) });
    const parse = () => {
      try {
        return { value: JSON.parse(input.value), problems: [] };
      } catch (err) {
        return { problems: [{ field: where, message: `not valid JSON: ${err.message}` }] };
      }
    };
    return {
      element: h('div', { class: 'field' }, h('label', { for: id }, `Step ${n} (JSON)`), input),
      current: () => ({ kind: 'json', value: parse().value ?? step.value }),
      read: parse,
    };
  }

  render();
  return {
    element,
    /** Redraws the target choices after targets were added, renamed or removed (nothing else moves). */
    refresh() {
      for (const r of rendered) r.refresh?.();
    },
    /** A removed target: steps that chose it keep its name, so the chain shows what is now missing. */
    forget(key, name) {
      sync();
      for (const step of model)
        if (step.kind === 'target' && step.key === key)
          Object.assign(step, { key: undefined, missing: name });
      render();
    },
    read() {
      const problems = [];
      const value = [];
      for (const r of rendered) {
        const out = r.read();
        problems.push(...out.problems);
        if (out.value !== undefined) value.push(out.value);
      }
      return { value, problems };
    },
  };
}
