// The Actions tab: the During Call and After Call lists, edited as a draft of the whole agent. Each change is
// checked with POST /validate so an order that breaks a reference shows inline before anything is saved; Save
// writes the draft with If-Match on the version it started from.
import { ApiError, api, q } from '../api.js';
import { announce, clear, errorBox, h, json } from '../dom.js';
import { objectFields } from '../schema-form.js';
import { attachTemplateCompletion, referencesFor } from '../template-complete.js';

const STAGES = [
  ['duringCall', 'During Call', 'The agent’s tools: run when it calls them during the call, one at a time.'],
  [
    'afterCall',
    'After Call',
    'Run in this order once the call ends; each may use what the ones above returned.',
  ],
];
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

let actionTypesCache = null;
async function actionTypes() {
  if (!actionTypesCache) actionTypesCache = (await api('GET', 'action-types')).body.types;
  return actionTypesCache;
}

export async function renderActionsTab({ panel, stored, reload }) {
  const types = await actionTypes().catch(() => []);
  const state = {
    draft: structuredClone(stored.agent),
    version: stored.version,
    dirty: false,
    problems: [],
    validating: null,
  };
  state.draft.actions ??= {};
  for (const [stage] of STAGES) state.draft.actions[stage] ??= [];

  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const saveButton = h('button', { type: 'button', class: 'primary', onclick: () => save() }, 'Save');
  const discardButton = h(
    'button',
    { type: 'button', onclick: () => reload('Changes discarded.') },
    'Discard changes',
  );
  const lists = Object.fromEntries(
    STAGES.map(([stage]) => [stage, h('ol', { class: 'actions', 'data-stage': stage })]),
  );
  const stageErrors = Object.fromEntries(STAGES.map(([stage]) => [stage, h('div', {})]));
  const generalErrors = h('div', {});

  const refresh = () => {
    for (const [stage] of STAGES) renderList(stage);
    const general = state.problems.filter((p) => !locate(p));
    clear(
      generalErrors,
      general.length ? errorBox('This configuration cannot be saved yet:', general) : null,
    );
    const invalid = state.problems.length > 0;
    saveButton.disabled = !state.dirty || invalid || state.validating !== null;
    saveButton.title = invalid ? 'Fix the problems shown first' : '';
    discardButton.disabled = !state.dirty;
  };

  const change = async (message) => {
    state.dirty = true;
    if (message) announce(message);
    refresh();
    await validate();
  };

  const validate = async () => {
    const run = api('POST', `agents/${q(state.draft.id)}/validate`, state.draft);
    state.validating = run;
    refresh();
    try {
      await run;
      if (state.validating !== run) return;
      state.problems = [];
    } catch (err) {
      if (state.validating !== run) return;
      state.problems =
        err instanceof ApiError && err.details.length ? err.details : [{ field: '', message: err.message }];
    }
    state.validating = null;
    refresh();
    if (state.problems.length)
      announce(
        `${state.problems.length} problem${state.problems.length > 1 ? 's' : ''} in this configuration`,
      );
  };

  const save = async () => {
    clear(status, 'Saving…');
    try {
      const { body } = await api('PUT', `agents/${q(state.draft.id)}`, state.draft, {
        'if-match': String(state.version),
      });
      state.version = body?.version ?? state.version;
      state.dirty = false;
      await reload(`Saved as version ${state.version}.`);
    } catch (err) {
      const conflict = err.status === 409 || err.status === 412;
      clear(
        status,
        errorBox(
          conflict
            ? 'Someone else saved this agent meanwhile: discard your changes to load their version.'
            : `Not saved: ${err.message}`,
          err.details,
        ),
      );
      if (err.status === 400 && err.details.length) {
        state.problems = err.details;
        refresh();
      }
    }
  };

  function problemsOf(stage, index) {
    return state.problems.filter((p) => {
      const at = locate(p);
      return at && at.stage === stage && at.index === index;
    });
  }

  function move(stage, from, to, how) {
    const list = state.draft.actions[stage];
    if (to < 0 || to >= list.length || from === to) return;
    const [item] = list.splice(from, 1);
    list.splice(to, 0, item);
    change(`${item.id} moved to position ${to + 1} of ${list.length}${how ? ` (${how})` : ''}`).then(() => {
      lists[stage].querySelector(`li[data-id="${CSS.escape(item.id)}"]`)?.focus();
    });
    lists[stage].querySelector(`li[data-id="${CSS.escape(item.id)}"]`)?.focus();
  }

  function renderList(stage) {
    const list = lists[stage];
    const actions = state.draft.actions[stage];
    const items = actions.map((action, index) => {
      const problems = problemsOf(stage, index);
      const errorId = `problems-${stage}-${action.id}`;
      const li = h(
        'li',
        {
          class: problems.length ? 'action invalid' : 'action',
          draggable: 'true',
          tabindex: '0',
          dataset: { id: action.id, index: String(index) },
          'aria-label': `${index + 1}. ${action.id} (${action.type})`,
          'aria-describedby': problems.length ? errorId : undefined,
          'aria-keyshortcuts': 'Alt+ArrowUp Alt+ArrowDown',
          onkeydown: (e) => {
            if (e.target !== e.currentTarget) return;
            if (e.altKey && e.key === 'ArrowUp') {
              e.preventDefault();
              move(stage, index, index - 1);
            } else if (e.altKey && e.key === 'ArrowDown') {
              e.preventDefault();
              move(stage, index, index + 1);
            }
          },
          ondragstart: (e) => {
            e.dataTransfer.effectAllowed = 'move';
            e.dataTransfer.setData('text/plain', action.id);
            list.dataset.dragging = action.id;
            li.classList.add('dragging');
          },
          ondragend: () => {
            delete list.dataset.dragging;
            li.classList.remove('dragging');
            for (const el of list.querySelectorAll('.drop-before, .drop-after'))
              el.classList.remove('drop-before', 'drop-after');
          },
          ondragover: (e) => {
            if (!list.dataset.dragging) return;
            e.preventDefault();
            e.dataTransfer.dropEffect = 'move';
            const after =
              e.offsetY > li.offsetHeight / 2 ||
              e.clientY > li.getBoundingClientRect().top + li.offsetHeight / 2;
            li.classList.toggle('drop-after', after);
            li.classList.toggle('drop-before', !after);
          },
          ondragleave: () => li.classList.remove('drop-before', 'drop-after'),
          ondrop: (e) => {
            e.preventDefault();
            const draggedId = e.dataTransfer.getData('text/plain') || list.dataset.dragging;
            const from = actions.findIndex((a) => a.id === draggedId);
            if (from < 0) return;
            const rect = li.getBoundingClientRect();
            const after = e.clientY > rect.top + rect.height / 2;
            let to = index + (after ? 1 : 0);
            if (from < to) to -= 1;
            move(stage, from, to, 'dragged');
          },
        },
        h('span', { class: 'handle', 'aria-hidden': 'true', title: 'Drag to reorder' }, '⠿'),
        h('span', { class: 'position' }, `${index + 1}.`),
        h(
          'div',
          { class: 'summary' },
          h('strong', {}, action.id),
          ' ',
          h('span', { class: 'badge' }, action.type),
          action.description ? h('span', { class: 'desc' }, action.description) : null,
          action.when ? h('span', { class: 'desc' }, 'when ', h('code', {}, action.when)) : null,
        ),
        h(
          'div',
          { class: 'buttons' },
          h(
            'button',
            {
              type: 'button',
              'aria-label': `Move ${action.id} up`,
              disabled: index === 0 || undefined,
              onclick: () => move(stage, index, index - 1),
            },
            '↑',
          ),
          h(
            'button',
            {
              type: 'button',
              'aria-label': `Move ${action.id} down`,
              disabled: index === actions.length - 1 || undefined,
              onclick: () => move(stage, index, index + 1),
            },
            '↓',
          ),
          h(
            'button',
            { type: 'button', 'aria-label': `Edit ${action.id}`, onclick: () => openEditor(stage, index) },
            'Edit',
          ),
          h(
            'button',
            {
              type: 'button',
              'aria-label': `Try ${action.id}`,
              onclick: (e) =>
                openTry(stage, action, {
                  draft: state.dirty ? state.draft : undefined,
                  position: index,
                  returnFocus: e.currentTarget,
                }),
            },
            'Try it',
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'danger',
              'aria-label': `Remove ${action.id}`,
              onclick: () => {
                actions.splice(index, 1);
                change(`${action.id} removed`);
              },
            },
            'Remove',
          ),
        ),
        problems.length
          ? h(
              'ul',
              { class: 'item-problems', id: errorId },
              problems.map((p) => h('li', {}, fieldWithin(p.field), p.message)),
            )
          : null,
      );
      return li;
    });
    clear(list, items.length ? items : h('li', { class: 'empty' }, 'No actions yet.'));
    const count = problemsIn(stage);
    clear(
      stageErrors[stage],
      count
        ? errorBox(
            `${count} problem${count > 1 ? 's' : ''} in this order: see the marked action${count > 1 ? 's' : ''}.`,
          )
        : null,
    );
  }

  const problemsIn = (stage) => state.problems.filter((p) => locate(p)?.stage === stage).length;

  function openEditor(stage, index, typeName) {
    const existing = index === undefined ? undefined : state.draft.actions[stage][index];
    const type = types.find((t) => t.type === (existing?.type ?? typeName));
    const dialog = h('dialog', { class: 'editor', 'aria-labelledby': 'editor-title' });
    const close = () => {
      dialog.close();
      dialog.remove();
    };
    document.body.append(dialog);
    if (!type) return pickType(stage, dialog, close);
    const position = index ?? state.draft.actions[stage].length;
    const common = baseFields(stage, existing, () => referencesFor(state.draft, stage, position, readArgs()));
    const settings = objectFields(type.settingsSchema ?? { properties: {} }, existing, {
      references: () => referencesFor(state.draft, stage, position, readArgs()),
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
      const list = state.draft.actions[stage];
      if (
        list.some((a, i) => a.id === action.id && i !== index) ||
        state.draft.actions[stage === 'duringCall' ? 'afterCall' : 'duringCall'].some(
          (a) => a.id === action.id,
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
          const draft = structuredClone(state.draft);
          if (index !== undefined) draft.actions[stage].splice(index, 1);
          openTry(stage, action, {
            draft,
            position: index ?? draft.actions[stage].length,
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
        onsubmit: (e) => {
          e.preventDefault();
          const action = readForm();
          if (!action) return;
          const list = state.draft.actions[stage];
          if (index === undefined) list.push(action);
          else list[index] = action;
          close();
          change(index === undefined ? `${action.id} added` : `${action.id} updated`).then(() =>
            lists[stage].querySelector(`li[data-id="${CSS.escape(action.id)}"]`)?.focus(),
          );
        },
      },
      h(
        'h2',
        { id: 'editor-title' },
        existing ? `Edit ${existing.id}` : `Add ${type.type}`,
        ' ',
        h('small', {}, stage === 'duringCall' ? 'During Call' : 'After Call'),
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
    dialog.append(form);
    dialog.addEventListener('cancel', () => dialog.remove());
    dialog.showModal();
    form.querySelector('input,select,textarea')?.focus();
  }

  function pickType(stage, dialog, close) {
    const available = types.filter((t) => !t.stages || t.stages.includes(stage));
    const name = `type-${stage}`;
    const form = h(
      'form',
      {
        onsubmit: (e) => {
          e.preventDefault();
          const chosen = form.querySelector(`input[name="${name}"]:checked`);
          if (!chosen) return;
          close();
          openEditor(stage, undefined, chosen.value);
        },
      },
      h(
        'h2',
        { id: 'editor-title' },
        'Add Action ',
        h('small', {}, stage === 'duringCall' ? 'During Call' : 'After Call'),
      ),
      h(
        'fieldset',
        { class: 'type-picker' },
        h('legend', {}, 'Action type'),
        available.map((t, i) =>
          h(
            'label',
            { class: 'type-option' },
            h('input', { type: 'radio', name, value: t.type, checked: i === 0 || undefined }),
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
    dialog.append(form);
    dialog.addEventListener('cancel', () => dialog.remove());
    dialog.showModal();
    form.querySelector('input:checked')?.focus();
  }

  /**
   * Runs `action` once in dry-run with sample arguments. With `draft` (the unsaved agent it sits in), the
   * definition itself is sent (POST …/actions/:stage/try, at `position`); otherwise the saved action, by id.
   */
  function openTry(stage, action, { draft, position, returnFocus } = {}) {
    const unsaved = Boolean(draft);
    const dialog = h('dialog', { class: 'editor', 'aria-labelledby': 'try-title' });
    const close = () => {
      dialog.close();
      dialog.remove();
      returnFocus?.focus();
    };
    const sample = Object.fromEntries(
      Object.entries(action.args ?? {}).map(([k, spec]) => [
        k,
        spec.enum?.[0] ?? (spec.type === 'string' ? `sample-${k}` : spec.type === 'boolean' ? true : 1),
      ]),
    );
    const argsInput = h('textarea', {
      id: 'try-args',
      class: 'code',
      rows: 5,
      spellcheck: 'false',
      value: json(sample),
    });
    const send =
      action.type === 'http_request'
        ? h('input', { type: 'checkbox', id: 'try-send', 'aria-describedby': 'try-send-hint' })
        : null;
    const out = h('div', { 'aria-live': 'polite' });
    const form = h(
      'form',
      {
        onsubmit: async (e) => {
          e.preventDefault();
          let args;
          try {
            args = JSON.parse(argsInput.value || '{}');
          } catch (err) {
            clear(out, errorBox(`The arguments are not valid JSON: ${err.message}`));
            return;
          }
          const request = { args, ...(send?.checked ? { send: true } : {}) };
          clear(out, 'Running…');
          try {
            const { body } = unsaved
              ? await api('POST', `agents/${q(stored.agent.id)}/actions/${stage}/try`, {
                  ...request,
                  action,
                  position,
                  agent: draft,
                })
              : await api(
                  'POST',
                  `agents/${q(stored.agent.id)}/actions/${stage}/${q(action.id)}/try`,
                  request,
                );
            clear(
              out,
              h('h3', {}, 'Rendered request'),
              h('pre', { class: 'code', tabindex: '0' }, json(body.rendered)),
              h('h3', {}, 'Result'),
              h('p', { class: 'try-status' }, statusText(body.result)),
              h('pre', { class: 'code', tabindex: '0' }, json(body.result)),
              body.assumedEmpty?.length
                ? h(
                    'p',
                    { class: 'hint' },
                    'Earlier actions taken to have output nothing: ',
                    body.assumedEmpty.join(', '),
                    '.',
                  )
                : null,
            );
          } catch (err) {
            clear(out, errorBox(`Could not run it: ${err.message}`, err.details));
          }
        },
      },
      h('h2', { id: 'try-title' }, `Try ${action.id}`, unsaved ? h('small', {}, ' (not saved)') : null),
      h(
        'p',
        { class: 'hint' },
        unsaved ? 'Runs this action as it is now, not saved, ' : 'Runs the saved action ',
        'once in dry-run with these arguments: nothing is saved, texted, booked or logged',
        send ? '; the HTTP request is shown, and sent only when you tick the box below.' : '.',
      ),
      h('label', { for: 'try-args' }, 'Sample arguments (JSON)'),
      argsInput,
      send
        ? h(
            'div',
            { class: 'field inline' },
            send,
            h('label', { for: 'try-send' }, 'Really send the HTTP request'),
            h(
              'p',
              { class: 'hint', id: 'try-send-hint' },
              'Through the agent’s network policy; otherwise it is only shown.',
            ),
          )
        : null,
      h(
        'div',
        { class: 'dialog-buttons' },
        h('button', { type: 'submit', class: 'primary' }, 'Run dry-run'),
        h('button', { type: 'button', onclick: close }, 'Close'),
      ),
      out,
    );
    dialog.append(form);
    document.body.append(dialog);
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      close();
    });
    dialog.showModal();
    argsInput.focus();
  }

  clear(
    panel,
    h('div', { class: 'toolbar' }, saveButton, discardButton, status),
    generalErrors,
    h(
      'div',
      { class: 'stages' },
      STAGES.map(([stage, title, blurb]) =>
        h(
          'section',
          { class: 'stage card', 'aria-labelledby': `stage-${stage}` },
          h(
            'div',
            { class: 'stage-head' },
            h('h2', { id: `stage-${stage}` }, title),
            h(
              'button',
              { type: 'button', 'aria-label': `Add Action to ${title}`, onclick: () => openEditor(stage) },
              '+ Add Action',
            ),
          ),
          h('p', { class: 'hint' }, blurb, ' Drag to reorder, or focus an action and press Alt+↑ / Alt+↓.'),
          stageErrors[stage],
          (() => {
            lists[stage].setAttribute('aria-labelledby', `stage-${stage}`);
            return lists[stage];
          })(),
        ),
      ),
    ),
  );
  refresh();
}

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

/** What came of a dry run, in a sentence. */
function statusText(result) {
  if (result?.status === 'completed')
    return result.dryRun ? 'Completed (dry run).' : 'Completed: it was sent.';
  if (result?.status === 'failed') return `Failed: ${result.error?.message ?? ''}`;
  return `${result?.status ?? 'unknown'}: ${result?.reason ?? ''}`;
}

/** Where a problem's field points: `actions.afterCall[1].body` → the second after-call action. */
function locate(problem) {
  const m = /^actions\.(duringCall|afterCall)\[(\d+)\]/.exec(problem.field ?? '');
  return m ? { stage: m[1], index: Number(m[2]) } : null;
}

function fieldWithin(field) {
  const rest = (field ?? '').replace(/^actions\.(duringCall|afterCall)\[\d+\]\.?/, '');
  return rest ? [h('code', {}, rest), ': '] : null;
}
