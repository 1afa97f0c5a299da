// The agent's transfer targets as a list of forms, one per target: its name, where it rings (a phone number
// or a SIP URI), the settings the schema lists, business hours and the fallback chain. Problems from the API
// come back as "transferTargets.<name>.<field>" and are shown beside that target's control.
import { announce, h, uid } from '../dom.js';
import { objectFields, pick } from '../schema-form.js';
import { businessHoursFields } from './business-hours.js';
import { fallbackChainFields } from './fallback-chain.js';
import { inside, ProblemSlots, within } from './problems.js';

const LABELS = {
  description: 'Description',
  mode: 'Mode',
  ringTimeoutSeconds: 'Ring timeout (seconds)',
  briefingTimeoutSeconds: 'Briefing timeout (seconds)',
  callerId: 'Caller ID',
  briefing: 'Briefing',
};
/** Fields with their own controls here; every other property of the schema gets a generated field. */
const OWN_CONTROLS = new Set(['number', 'sip', 'description', 'hours', 'fallback']);
const DESTINATIONS = [
  ['number', 'Phone number', 'tel', 'E.164, e.g. +14155550100'],
  ['sip', 'SIP URI', 'text', 'e.g. sip:desk@pbx.example.com'],
];
const ID_RULE = 'lowercase letters, digits, "_" or "-", starting with a letter';

/**
 * @param {object} schema JSON Schema of agent.transferTargets (a map of name → target)
 * @param {object} value the stored targets
 * @param {{ references: () => string[], timezone: () => string }} opts references: for the briefing template;
 *   timezone: the agent's, the first guess for new business hours
 */
export function transferTargetsFields(schema, value, opts) {
  const itemSchema = schema.additionalProperties ?? { properties: {} };
  const namePattern = schema.propertyNames?.pattern;
  const generated = Object.keys(itemSchema.properties ?? {}).filter((n) => !OWN_CONTROLS.has(n));
  const editors = [];
  const list = h('div', { class: 'targets' });
  const empty = h('p', { class: 'hint' }, 'No transfer targets.');
  const chooser = {
    targets: () => editors.map((e) => ({ key: e.key, name: e.name() })),
    keyOf: (name) => editors.find((e) => e.name() === name)?.key,
  };
  const addButton = h(
    'button',
    {
      type: 'button',
      onclick: () => {
        const editor = targetEditor('', {});
        editor.buildFallback();
        refreshChoices();
        editor.focus();
        announce('Transfer target added');
        addButton.dispatchEvent(new Event('input', { bubbles: true }));
      },
    },
    '+ Add transfer target',
  );

  const refreshChoices = () => {
    empty.hidden = editors.length > 0;
    for (const e of editors) e.refresh();
  };

  function targetEditor(name, stored) {
    const key = uid('target');
    const slots = new ProblemSlots();
    const nameId = uid('target-name');
    const legend = h('legend', {});
    const nameInput = h('input', {
      id: nameId,
      value: name,
      required: true,
      pattern: namePattern,
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-describedby': `${nameId}-hint`,
      oninput: () => {
        showName();
        refreshChoices();
      },
    });
    const showName = () => {
      legend.textContent = nameInput.value.trim()
        ? `Transfer target ${nameInput.value.trim()}`
        : 'New transfer target';
    };
    showName();

    const destinationName = uid('destination');
    const initial = stored.sip !== undefined && stored.number === undefined ? 'sip' : 'number';
    const destinationId = uid('destination-value');
    const destinationLabel = h('label', { for: destinationId });
    const destinationHint = h('p', { class: 'hint', id: `${destinationId}-hint` });
    const destinationInput = h('input', {
      id: destinationId,
      value: stored[initial] ?? '',
      required: true,
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-describedby': `${destinationId}-hint`,
    });
    const radios = DESTINATIONS.map(([kind, label]) => {
      const id = uid('destination-kind');
      return h(
        'span',
        { class: 'choice' },
        h('input', {
          type: 'radio',
          id,
          name: destinationName,
          value: kind,
          checked: kind === initial || undefined,
          onchange: () => showDestination(kind),
        }),
        h('label', { for: id, class: 'inline-label' }, label),
      );
    });
    const destinationKind = () =>
      radios.map((r) => r.querySelector('input')).find((r) => r.checked)?.value ?? 'number';
    const showDestination = (kind) => {
      const [, label, type, hint] = DESTINATIONS.find(([k]) => k === kind);
      destinationLabel.replaceChildren(label, h('span', { class: 'req', 'aria-hidden': 'true' }, ' *'));
      destinationInput.type = type;
      destinationHint.textContent = hint;
    };
    showDestination(initial);

    const description = objectFields(pick(itemSchema, ['description']), stored, {
      slots,
      labels: LABELS,
      templates: new Set(),
    });
    description.element.querySelector('textarea')?.setAttribute('rows', '1');
    const settings = objectFields(pick(itemSchema, generated), stored, {
      slots,
      labels: LABELS,
      templates: new Set(['briefing']),
      references: opts.references,
    });

    const hoursId = uid('target-hours');
    const hoursOn = h('input', {
      type: 'checkbox',
      id: hoursId,
      checked: Boolean(stored.hours) || undefined,
      onchange: () => {
        hours.element.hidden = !hoursOn.checked;
      },
    });
    const hours = businessHoursFields(
      itemSchema.properties?.hours ?? { properties: {} },
      stored.hours ?? {
        timezone: opts.timezone(),
        weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, ['09:00-17:00']])),
      },
      { slots, path: 'hours', legend: 'Business hours' },
    );
    hours.element.hidden = !hoursOn.checked;
    const hoursHint = itemSchema.properties?.hours?.description;

    const fallbackSlot = h('div', {});
    let fallback = null;

    const removeButton = h(
      'button',
      {
        type: 'button',
        class: 'danger',
        onclick: () => {
          const gone = nameInput.value.trim();
          editors.splice(editors.indexOf(editor), 1);
          element.remove();
          for (const e of editors) e.forget(key, gone);
          refreshChoices();
          announce(`Transfer target ${gone || '(new)'} removed`);
          addButton.focus();
          addButton.dispatchEvent(new Event('input', { bubbles: true }));
        },
      },
      'Remove target',
    );
    const setRemoveLabel = () =>
      removeButton.setAttribute('aria-label', `Remove transfer target ${nameInput.value.trim() || '(new)'}`);
    nameInput.addEventListener('input', setRemoveLabel);
    setRemoveLabel();

    const element = h(
      'fieldset',
      { class: 'target' },
      legend,
      h(
        'div',
        { class: 'row' },
        h(
          'div',
          { class: 'field' },
          h('label', { for: nameId }, 'Name', h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')),
          nameInput,
          h('p', { class: 'hint', id: `${nameId}-hint` }, 'What the transfer action names: ', ID_RULE),
          slots.add('', nameInput, 'Name'),
        ),
        description.element,
      ),
      h(
        'fieldset',
        { class: 'nested' },
        h('legend', {}, 'Rings'),
        h('div', { class: 'choices' }, radios),
        h(
          'div',
          { class: 'field' },
          destinationLabel,
          destinationInput,
          destinationHint,
          slots.add('number', destinationInput, 'Phone number'),
          slots.add('sip', destinationInput, 'SIP URI'),
        ),
      ),
      settings.element,
      h(
        'div',
        { class: 'field inline' },
        hoursOn,
        h('label', { for: hoursId }, 'Only during business hours'),
      ),
      hoursHint ? h('p', { class: 'hint' }, hoursHint) : null,
      hours.element,
      fallbackSlot,
      h('div', { class: 'toolbar' }, removeButton),
    );
    list.append(element);

    const editor = {
      key,
      slots,
      name: () => nameInput.value.trim(),
      focus: () => nameInput.focus(),
      buildFallback() {
        fallback = fallbackChainFields(itemSchema.properties?.fallback ?? {}, stored.fallback ?? [], {
          slots,
          path: 'fallback',
          own: key,
          ...chooser,
        });
        fallbackSlot.replaceWith(fallback.element);
      },
      refresh: () => fallback?.refresh(),
      forget: (gone, goneName) => fallback?.forget(gone, goneName),
      read() {
        const problems = [];
        const out = {};
        const kind = destinationKind();
        const destination = destinationInput.value.trim();
        if (destination) out[kind] = destination;
        else problems.push({ field: kind, message: 'required' });
        for (const part of [description, settings]) {
          const r = part.read();
          Object.assign(out, r.value);
          problems.push(...r.problems);
        }
        if (hoursOn.checked) {
          const r = hours.read();
          out.hours = r.value;
          problems.push(...r.problems);
        }
        const chain = fallback.read();
        problems.push(...chain.problems);
        if (chain.value.length) out.fallback = chain.value;
        return { value: out, problems };
      },
    };
    editors.push(editor);
    return editor;
  }

  for (const [name, target] of Object.entries(value ?? {})) targetEditor(name, target ?? {});
  for (const e of editors) e.buildFallback();
  refreshChoices();

  const pathOf = (name, rest = '') =>
    `transferTargets.${name}${rest && !rest.startsWith('[') ? '.' : ''}${rest}`;

  return {
    element: h('div', {}, empty, list, h('div', { class: 'toolbar' }, addButton)),
    read() {
      const value = {};
      const problems = [];
      const seen = new Set();
      for (const e of editors) {
        const name = e.name();
        if (!name) problems.push({ field: pathOf(name), message: 'required' });
        else if (namePattern && !new RegExp(namePattern).test(name))
          problems.push({ field: pathOf(name), message: ID_RULE });
        else if (seen.has(name))
          problems.push({ field: pathOf(name), message: `another target is already called "${name}"` });
        seen.add(name);
        const r = e.read();
        value[name] = r.value;
        problems.push(...r.problems.map((p) => ({ ...p, field: pathOf(name, p.field) })));
      }
      return { value, problems };
    },
    /** Shows problems beside the targets' controls; returns the ones about no particular target. */
    show(problems) {
      const placed = new Set();
      const unplaced = [];
      for (const e of editors) {
        const prefix = pathOf(e.name());
        const mine = problems.filter((p) => inside(p.field ?? '', prefix));
        for (const p of mine) placed.add(p);
        const left = e.slots.show(mine.map((p) => ({ ...p, field: within(p.field, prefix) })));
        unplaced.push(...left.map((p) => ({ ...p, field: pathOf(e.name(), p.field) })));
      }
      return [...problems.filter((p) => !placed.has(p)), ...unplaced];
    },
  };
}
