// A form generated from a JSON Schema (an action type's settings, parts of the agent config): text, number,
// checkbox and select inputs where the schema is simple, a JSON field where it is not (unions, maps, lists of
// objects). Each field reads back its value or a problem naming the field; with `slots`, problems are shown
// beside the field they name.

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
 * @param {{
 *   references?: () => string[],
 *   skip?: Set<string>,
 *   labels?: Record<string, string>,
 *   templates?: Set<string>,
 *   slots?: import('./forms/problems.js').ProblemSlots,
 *   collapsible?: Set<string>,
 * }} opts labels by path or name (default: the name); templates: the fields offered {{…}} completion
 *   (default: every text field); slots: where problems are shown, by path; collapsible: the paths of
 *   optional nested objects that fold into a <details>
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

/** The part of an object schema with these properties, in the order given. */
export function pick(schema, names) {
  const properties = Object.fromEntries(
    names.filter((n) => schema.properties?.[n]).map((n) => [n, schema.properties[n]]),
  );
  return { ...schema, properties, required: (schema.required ?? []).filter((n) => n in properties) };
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
  const labelText = opts.labels?.[path] ?? opts.labels?.[name] ?? name;
  const label = h(
    'label',
    { for: id },
    labelText,
    required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null,
  );
  const completes = (input) =>
    !opts.templates || opts.templates.has(name)
      ? attachTemplateCompletion(input, opts.references ?? (() => []))
      : input;
  const slot = (control) => opts.slots?.add(path, control, labelText) ?? null;
  const hintText = [
    prop.description,
    prop.default !== undefined ? `Default: ${JSON.stringify(prop.default)}` : null,
  ]
    .filter(Boolean)
    .join('. ')
    .replace(/([^.])$/, '$1.');
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
    // Optional groups may fold away, open when they hold something.
    const fieldset =
      opts.collapsible?.has(path) && !required
        ? h(
            'details',
            { class: 'nested', open: (value && Object.keys(value).length > 0) || undefined },
            h('summary', {}, labelText),
            hint,
            inner.element,
          )
        : h('fieldset', { class: 'nested' }, h('legend', {}, labelText), hint, inner.element);
    fieldset.append(slot(fieldset) ?? '');
    return {
      name,
      element: fieldset,
      read() {
        const r = inner.read();
        // An optional object left empty is left out, whatever its own fields require.
        if (!Object.keys(r.value).length) return { value: undefined, problems: required ? r.problems : [] };
        return { value: r.value, problems: r.problems };
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
    return wrap(name, label, completes(input), hint, read, false, slot(input));
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
    return wrap(name, label, completes(input), hint, read, false, slot(input));
  }
  return wrap(name, label, input, hint, read, kind === 'boolean', slot(input));
}

function wrap(name, label, control, hint, read, inline = false, problem = null) {
  return {
    name,
    element: h(
      'div',
      { class: inline ? 'field inline' : 'field' },
      inline ? [control, label] : [label, control],
      hint,
      problem,
    ),
    read,
  };
}
