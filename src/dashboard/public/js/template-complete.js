// Autocompletion of {{...}} template references in a text field: typing "{{" opens a list of what the field
// may refer to at this point of the call. A combobox in the ARIA sense: arrows move, Enter or Tab accepts,
// Escape closes, and the list is announced through aria-activedescendant.
import { h, uid } from './dom.js';

/**
 * @param {HTMLInputElement|HTMLTextAreaElement} input
 * @param {() => string[]} suggestions full references without braces, e.g. "call.from", "actions.book."
 */
export function attachTemplateCompletion(input, suggestions) {
  const listId = uid('complete');
  const list = h('ul', { id: listId, role: 'listbox', class: 'completions', hidden: true });
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-expanded', 'false');
  input.setAttribute('aria-controls', listId);
  let options = [];
  let active = -1;

  const typed = () => {
    const before = input.value.slice(0, input.selectionStart ?? input.value.length);
    const m = /\{\{\s*([A-Za-z0-9_.-]*)$/.exec(before);
    return m ? { prefix: m[1], start: before.length - m[1].length } : null;
  };

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    options = [];
    active = -1;
  };

  const setActive = (i) => {
    active = i;
    for (const [j, li] of [...list.children].entries()) li.setAttribute('aria-selected', String(j === i));
    if (i >= 0) {
      input.setAttribute('aria-activedescendant', `${listId}-${i}`);
      list.children[i].scrollIntoView({ block: 'nearest' });
    }
  };

  const open = () => {
    const t = typed();
    if (!t) return close();
    const lower = t.prefix.toLowerCase();
    options = suggestions()
      .filter((s) => s.toLowerCase().startsWith(lower) && s !== t.prefix)
      .slice(0, 40);
    if (!options.length) return close();
    list.replaceChildren(
      ...options.map((s, i) =>
        h(
          'li',
          {
            id: `${listId}-${i}`,
            role: 'option',
            'aria-selected': 'false',
            onmousedown: (e) => {
              e.preventDefault();
              accept(i);
            },
          },
          `{{${s}${s.endsWith('.') ? '' : '}}'}`,
        ),
      ),
    );
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    setActive(0);
  };

  const accept = (i) => {
    const t = typed();
    const choice = options[i];
    if (!t || choice === undefined) return close();
    const caret = input.selectionStart ?? input.value.length;
    const rest = input.value.slice(caret);
    const closing = choice.endsWith('.') || rest.startsWith('}}') ? '' : '}}';
    input.value = input.value.slice(0, t.start) + choice + closing + rest;
    const at = t.start + choice.length + closing.length;
    input.setSelectionRange(at, at);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    if (choice.endsWith('.')) open();
    else close();
  };

  input.addEventListener('input', open);
  input.addEventListener('blur', () => setTimeout(close, 100));
  input.addEventListener('keydown', (e) => {
    if (list.hidden) return;
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((active + 1) % options.length);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((active - 1 + options.length) % options.length);
    } else if (e.key === 'Enter' || e.key === 'Tab') {
      if (active < 0) return;
      e.preventDefault();
      accept(active);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close();
    }
  });
  return h('div', { class: 'complete-wrap' }, input, list);
}

const CALL_FIELDS = [
  'id',
  'from',
  'to',
  'customer',
  'direction',
  'agentId',
  'platform',
  'startedAt',
  'endedAt',
  'endReason',
  'durationSeconds',
  'status',
  'transferred',
  'transferOutcome',
  'disposition',
  'transcript',
  'metadata.',
];

/** How an earlier action's latest run went (completed, failed, skipped) and why: known for every action. */
const RUN_FIELDS = ['run.status', 'run.reason', 'run.error'];

/** What an action's outputs are called, where the type's output is known in advance. */
const KNOWN_OUTPUTS = {
  send_sms: ['messageId', 'status', 'provider'],
  book_appointment: ['event_id', 'start', 'start_spoken', 'end'],
  check_availability: ['slots', 'say'],
  set_disposition: ['code'],
  extract_data: ['summary', 'missingRequired'],
  crm_log: ['recordId'],
  transfer: ['status', 'target', 'say'],
};

/** The field names an extract_data action declares. */
function fieldsOf(action) {
  return (Array.isArray(action.fields) ? action.fields : []).map((f) => f?.name).filter(Boolean);
}

function outputsOf(action) {
  if (action.type === 'http_request')
    return action.output && typeof action.output === 'object'
      ? Object.keys(action.output)
      : ['status', 'body'];
  if (action.type === 'extract_data')
    return [...KNOWN_OUTPUTS.extract_data, ...fieldsOf(action).map((f) => `data.${f}`)];
  return KNOWN_OUTPUTS[action.type] ?? [];
}

/**
 * The references an action at `index` of `stage` may use: the call, its own arguments (during the call), the
 * actions that have run before it, and the data the extraction actions collect.
 */
export function referencesFor(agent, stage, index, args) {
  const before = agent.actions?.beforeCall ?? [];
  const during = agent.actions?.duringCall ?? [];
  const after = agent.actions?.afterCall ?? [];
  const earlier =
    stage === 'beforeCall'
      ? before.slice(0, index)
      : stage === 'duringCall'
        ? [...before, ...during.filter((_, i) => i !== index)]
        : [...before, ...during, ...after.slice(0, index)];
  const dataFields = new Set();
  for (const a of after) for (const f of fieldsOf(a)) dataFields.add(f);
  return [
    ...CALL_FIELDS.map((f) => `call.${f}`),
    ...(stage === 'duringCall' ? Object.keys(args ?? {}).map((a) => `args.${a}`) : []),
    ...earlier.flatMap((a) => [
      `actions.${a.id}.`,
      ...[...outputsOf(a), ...RUN_FIELDS].map((o) => `actions.${a.id}.${o}`),
    ]),
    ...[...dataFields].map((f) => `data.${f}`),
    ...(agent.secrets ?? []).map((s) => `env.${s}`),
    'service.url',
  ];
}
