// The action editor: a dialog that adds an action to a stage of the Actions tab's draft (first picking its
// type) or edits one there, with the fields every action has and the form its type's settings schema generates.
// Template fields complete the references the action may use at its place; Try it runs the form as it is.
import { clear, errorBox, h, json } from '../dom.js';
import { objectFields } from '../schema-form.js';
import { attachTemplateCompletion, referencesFor } from '../template-complete.js';
import { openTryDialog } from './try-dialog.js';

const STAGE_TITLES = { beforeCall: 'Before Call', duringCall: 'During Call', afterCall: 'After Call' };

const BASE_KEYS = new Set([
  'id',
  'type',
  'description',
  'when',
  'onError',
  'args',
  'timeoutSeconds',
  'retry',
]);

/**
 * Opens the editor for the action at `index` of `draft.actions[stage]`, or for a new one of type `typeName`
 * (without a known type, the type is picked first, `preselect` chosen when the stage allows it). Types are
 * GET /v1/action-types' `types`. Apply or Add writes the action into `draft`, then calls
 * `onApplied(action, message)` with what to announce.
 */
export function openActionEditor(opts) {
  const { agentId, draft, types, stage, index, typeName, onApplied } = opts;
  const existing = index === undefined ? undefined : draft.actions[stage][index];
  const type = types.find((t) => t.type === (existing?.type ?? typeName));
  const dialog = h('dialog', { class: 'editor', 'aria-labelledby': 'editor-title' });
  const close = () => {
    dialog.close();
    dialog.remove();
  };
  document.body.append(dialog);
  if (!type) return pickType(opts, dialog, close);
  const position = index ?? draft.actions[stage].length;
  const common = baseFields(stage, existing, () => referencesFor(draft, stage, position, readArgs()));
  const settings = objectFields(type.settingsSchema ?? { properties: {} }, existing, {
    references: () => referencesFor(draft, stage, position, readArgs()),
    skip: BASE_KEYS,
  });
  function readArgs() {
    try {
      return JSON.parse(common.argsInput?.value || '{}');
    } catch {
      return {};
    }
  }
  const problemsBox = h('div', {});
  /** The action as the form has it, or undefined after showing what is wrong with it. */
  const readForm = () => {
    const base = common.read();
    const rest = settings.read();
    const problems = [...base.problems, ...rest.problems];
    const action = { ...base.value, type: type.type, ...rest.value };
    const list = draft.actions[stage];
    if (
      list.some((a, i) => a.id === action.id && i !== index) ||
      Object.entries(draft.actions).some(
        ([other, actions]) => other !== stage && (actions ?? []).some((a) => a.id === action.id),
      )
    )
      problems.push({ field: 'id', message: `another action is already called "${action.id}"` });
    clear(problemsBox, problems.length ? errorBox('Check these fields:', problems) : null);
    return problems.length ? undefined : action;
  };
  const tryButton = h(
    'button',
    {
      type: 'button',
      onclick: () => {
        const action = readForm();
        if (!action) return;
        // Tried where it would go: in the draft without the version being edited, at its place.
        const tried = structuredClone(draft);
        if (index !== undefined) tried.actions[stage].splice(index, 1);
        openTryDialog(agentId, stage, action, {
          draft: tried,
          position: index ?? tried.actions[stage].length,
          returnFocus: tryButton,
        });
      },
    },
    'Try it',
  );
  const form = h(
    'form',
    {
      method: 'dialog',
      // readForm checks every field: the browser's own check would also demand the required fields of an
      // optional group left empty (book_appointment's calendar), and block Add for no reason.
      novalidate: true,
      onsubmit: (e) => {
        e.preventDefault();
        const action = readForm();
        if (!action) return;
        const list = draft.actions[stage];
        if (index === undefined) list.push(action);
        else list[index] = action;
        close();
        onApplied(action, index === undefined ? `${action.id} added` : `${action.id} updated`);
      },
    },
    h(
      'h2',
      { id: 'editor-title' },
      existing ? `Edit ${existing.id}` : `Add ${type.type}`,
      ' ',
      h('small', {}, STAGE_TITLES[stage]),
    ),
    h('p', { class: 'hint' }, type.description),
    common.element,
    h('fieldset', {}, h('legend', {}, `${type.type} settings`), settings.element),
    problemsBox,
    h(
      'div',
      { class: 'dialog-buttons' },
      h('button', { type: 'submit', class: 'primary' }, existing ? 'Apply' : 'Add to list'),
      tryButton,
      h('button', { type: 'button', onclick: close }, 'Cancel'),
    ),
  );
  showForm(dialog, form, 'input,select,textarea');
}

function pickType(opts, dialog, close) {
  const { types, stage, preselect } = opts;
  const available = types.filter((t) => (t.stages ?? ['duringCall', 'afterCall']).includes(stage));
  const chosen = available.some((t) => t.type === preselect) ? preselect : available[0]?.type;
  const name = `type-${stage}`;
  const form = h(
    'form',
    {
      onsubmit: (e) => {
        e.preventDefault();
        const chosen = form.querySelector(`input[name="${name}"]:checked`);
        if (!chosen) return;
        close();
        openActionEditor({ ...opts, index: undefined, typeName: chosen.value });
      },
    },
    h('h2', { id: 'editor-title' }, 'Add Action ', h('small', {}, STAGE_TITLES[stage])),
    h(
      'fieldset',
      { class: 'type-picker' },
      h('legend', {}, 'Action type'),
      available.map((t) =>
        h(
          'label',
          { class: 'type-option' },
          h('input', { type: 'radio', name, value: t.type, checked: t.type === chosen || undefined }),
          h('span', {}, h('strong', {}, t.type), h('span', { class: 'hint' }, t.description)),
        ),
      ),
    ),
    h(
      'div',
      { class: 'dialog-buttons' },
      h('button', { type: 'submit', class: 'primary' }, 'Next'),
      h('button', { type: 'button', onclick: close }, 'Cancel'),
    ),
  );
  showForm(dialog, form, 'input:checked');
}

/** Shows `form` in the modal `dialog` (Escape removes it) and focuses its first `focus` match. */
function showForm(dialog, form, focus) {
  dialog.append(form);
  dialog.addEventListener('cancel', () => dialog.remove());
  dialog.showModal();
  form.querySelector(focus)?.focus();
}

/** The fields every action has; `read()` gives their value and what is wrong with it. */
function baseFields(stage, existing, references) {
  const id = h('input', {
    id: 'action-id',
    name: 'id',
    required: true,
    pattern: '[a-z][a-z0-9_\\-]*',
    value: existing?.id ?? '',
  });
  const description = h('input', {
    id: 'action-description',
    name: 'description',
    value: existing?.description ?? '',
  });
  const when = h('input', {
    id: 'action-when',
    name: 'when',
    value: existing?.when ?? '',
    spellcheck: 'false',
  });
  const onError = h(
    'select',
    { id: 'action-onError', name: 'onError' },
    ['continue', 'stop'].map((v) =>
      h('option', { value: v, selected: (existing?.onError ?? 'continue') === v || undefined }, v),
    ),
  );
  const argsInput =
    stage === 'duringCall'
      ? h('textarea', {
          id: 'action-args',
          name: 'args',
          class: 'code',
          rows: 3,
          spellcheck: 'false',
          value: existing?.args ? json(existing.args) : '',
          placeholder: '{ "order_id": { "type": "string", "required": true } }',
        })
      : null;
  const whenField = h(
    'div',
    { class: 'field' },
    h('label', { for: 'action-when' }, 'when'),
    attachTemplateCompletion(when, references),
    h('p', { class: 'hint' }, 'Template; the action is skipped when it renders empty, false or 0.'),
  );
  const element = h(
    'fieldset',
    {},
    h('legend', {}, 'Action'),
    h(
      'div',
      { class: 'row' },
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'action-id' }, 'id', h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')),
        id,
      ),
      h('div', { class: 'field' }, h('label', { for: 'action-onError' }, 'onError'), onError),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'action-description' }, 'description'),
      description,
      h(
        'p',
        { class: 'hint' },
        stage === 'duringCall' ? 'What the agent is told this tool does.' : 'What this step is for.',
      ),
    ),
    whenField,
    argsInput
      ? h(
          'div',
          { class: 'field' },
          h('label', { for: 'action-args' }, 'args (JSON)'),
          argsInput,
          h(
            'p',
            { class: 'hint' },
            'The tool call’s arguments: name → { type, required, enum, description }.',
          ),
        )
      : null,
  );
  return {
    element,
    argsInput,
    read() {
      const problems = [];
      const value = { id: id.value.trim() };
      if (!/^[a-z][a-z0-9_-]*$/.test(value.id))
        problems.push({
          field: 'id',
          message: 'lowercase letters, digits, "_" or "-", starting with a letter',
        });
      if (description.value.trim()) value.description = description.value.trim();
      if (when.value.trim()) value.when = when.value.trim();
      if (onError.value !== 'continue' || existing?.onError) value.onError = onError.value;
      if (argsInput?.value.trim()) {
        try {
          value.args = JSON.parse(argsInput.value);
        } catch (err) {
          problems.push({ field: 'args', message: `not valid JSON: ${err.message}` });
        }
      }
      for (const k of ['timeoutSeconds', 'retry']) if (existing?.[k] !== undefined) value[k] = existing[k];
      return { value, problems };
    },
  };
}
