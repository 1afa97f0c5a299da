// A form generated from an action type's JSON Schema: text, number, checkbox and select inputs where the
// schema is simple, a JSON field where it is not (unions, maps, lists of objects). Each field reads back its
// value or a problem naming the field.

import { h, json, uid } from './dom.js';
import { attachTemplateCompletion } from './template-complete.js';

const LONG_TEXT = new Set([
  'body',
  'briefing',
  'summary',
  'prompt',
  'greeting',
  'notes',
  'goal',
  'description',
]);

/**
 * @param {object} schema JSON Schema of an object
 * @param {object} value current values
 * @param {{ references: () => string[], skip?: Set<string> }} opts
 * @returns {{ element: HTMLElement, read: () => { value: object, problems: {field,message}[] } }}
 */
export function objectFields(schema, value, opts, path = '') {
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {})
    .filter(([name]) => !opts.skip?.has(name) || path)
    .map(([name, prop]) =>
      field(name, prop, value?.[name], required.has(name), opts, path ? `${path}.${name}` : name),
    );
  return {
    element: h(
      'div',
      { class: 'fields' },
      fields.map((f) => f.element),
    ),
    read() {
      const out = {};
      const problems = [];
      for (const f of fields) {
        const r = f.read();
        problems.push(...r.problems);
        if (r.value !== undefined) out[f.name] = r.value;
      }
      return { value: out, problems };
    },
  };
}

function kindOf(prop) {
  if (prop.enum) return 'enum';
  if (prop.type === 'string') return 'string';
  if (prop.type === 'number' || prop.type === 'integer') return 'number';
  if (prop.type === 'boolean') return 'boolean';
  if (prop.type === 'array' && prop.items?.type === 'string' && !prop.items.enum) return 'lines';
  if (prop.type === 'object' && prop.properties && !prop.additionalProperties) return 'object';
  return 'json';
}

function field(name, prop, value, required, opts, path) {
  const id = uid('field');
  const hintId = `${id}-hint`;
  const kind = kindOf(prop);
  const label = h(
    'label',
    { for: id },
    name,
    required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null,
  );
  const hintText = [
    prop.description,
    prop.default !== undefined ? `Default: ${JSON.stringify(prop.default)}` : null,
  ]
    .filter(Boolean)
    .join('. ');
  const hint = hintText ? h('p', { class: 'hint', id: hintId }, hintText) : null;
  const common = {
    id,
    name: path,
    'aria-describedby': hint ? hintId : undefined,
    required: required || undefined,
  };
  const problem = (message) => [{ field: path, message }];

  if (kind === 'object') {
    const inner = objectFields(prop, value, opts, path);
    return {
      name,
      element: h('fieldset', { class: 'nested' }, h('legend', {}, name), hint, inner.element),
      read() {
        const r = inner.read();
        return { value: Object.keys(r.value).length ? r.value : undefined, problems: r.problems };
      },
    };
  }
  let input;
  let read;
  if (kind === 'enum') {
    input = h(
      'select',
      common,
      h('option', { value: '' }, required ? 'Choose…' : '(default)'),
      prop.enum.map((v) =>
        h('option', { value: String(v), selected: String(value) === String(v) || undefined }, String(v)),
      ),
    );
    read = () => {
      if (!input.value) return required ? { problems: problem('required') } : { problems: [] };
      const v = prop.enum.find((e) => String(e) === input.value);
      return { value: v, problems: [] };
    };
  } else if (kind === 'boolean') {
    input = h('input', {
      ...common,
      type: 'checkbox',
      checked: value === true || undefined,
      required: undefined,
    });
    read = () => ({ value: input.checked ? true : value === false ? false : undefined, problems: [] });
  } else if (kind === 'number') {
    input = h('input', {
      ...common,
      type: 'number',
      step: prop.type === 'integer' ? '1' : 'any',
      min: prop.minimum,
      max: prop.maximum,
      value: value ?? '',
      placeholder: prop.default !== undefined ? String(prop.default) : undefined,
    });
    read = () => {
      if (input.value === '') return required ? { problems: problem('required') } : { problems: [] };
      const n = Number(input.value);
      return Number.isFinite(n) ? { value: n, problems: [] } : { problems: problem('not a number') };
    };
  } else if (kind === 'string') {
    const long = LONG_TEXT.has(name) || (typeof value === 'string' && value.length > 60);
    input = h(long ? 'textarea' : 'input', {
      ...common,
      ...(long ? { rows: 3 } : { type: 'text' }),
      value: value ?? '',
      placeholder: prop.default !== undefined ? String(prop.default) : undefined,
      spellcheck: 'false',
    });
    read = () => {
      if (input.value === '') return required ? { problems: problem('required') } : { problems: [] };
      return { value: input.value, problems: [] };
    };
    return wrap(name, label, attachTemplateCompletion(input, opts.references), hint, read);
  } else if (kind === 'lines') {
    input = h('textarea', { ...common, rows: 3, value: Array.isArray(value) ? value.join('\n') : '' });
    if (hint) hint.append(' One per line.');
    else label.append(' (one per line)');
    read = () => {
      const lines = input.value
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      if (!lines.length) return required ? { problems: problem('required') } : { problems: [] };
      return { value: lines, problems: [] };
    };
  } else {
    input = h('textarea', {
      ...common,
      rows: 4,
      class: 'code',
      spellcheck: 'false',
      value: value === undefined ? '' : json(value),
      placeholder: prop.default !== undefined ? json(prop.default) : 'JSON',
    });
    if (hint) hint.append(' JSON.');
    else label.append(' (JSON)');
    read = () => {
      if (input.value.trim() === '') return required ? { problems: problem('required') } : { problems: [] };
      try {
        return { value: JSON.parse(input.value), problems: [] };
      } catch (err) {
        return { problems: problem(`not valid JSON: ${err.message}`) };
      }
    };
    return wrap(name, label, attachTemplateCompletion(input, opts.references), hint, read);
  }
  return wrap(name, label, input, hint, read, kind === 'boolean');
}

function wrap(name, label, control, hint, read, inline = false) {
  return {
    name,
    element: h(
      'div',
      { class: inline ? 'field inline' : 'field' },
      inline ? [control, label] : [label, control],
      hint,
    ),
    read,
  };
}
