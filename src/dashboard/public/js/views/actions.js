// The Actions tab: the Before Call, During Call and After Call lists, edited as a draft of the whole agent. Each change is
// checked with POST /validate so an order that breaks a reference shows inline before anything is saved; Save
// writes the draft with If-Match on the version it started from. Adding or editing an action happens in the
// action editor (./action-editor.js), a dry run in the Try-it dialog (./try-dialog.js).
import { ApiError, api, q } from '../api.js';
import { announce, clear, errorBox, h } from '../dom.js';
import { openActionEditor } from './action-editor.js';
import { openTryDialog } from './try-dialog.js';

const STAGES = [
  [
    'beforeCall',
    'Before Call',
    'Lookups run when the call comes in, side by side, before the agent answers; the platform gets what is ready within the budget (2 s unless set).',
  ],
  ['duringCall', 'During Call', 'The agent’s tools: run when it calls them during the call, one at a time.'],
  [
    'afterCall',
    'After Call',
    'Run in this order once the call ends; each may use what the ones above returned.',
  ],
];

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
                openTryDialog(stored.agent.id, stage, action, {
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

  function openEditor(stage, index, preselect) {
    openActionEditor({
      agentId: stored.agent.id,
      draft: state.draft,
      types,
      stage,
      index,
      preselect,
      onApplied: (action, message) =>
        change(message).then(() =>
          lists[stage].querySelector(`li[data-id="${CSS.escape(action.id)}"]`)?.focus(),
        ),
    });
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
  openRequestedEditor(openEditor, state.draft);
}

/**
 * Other tabs link here to one action's editor (`?edit=<id>`) or to the type picker of a stage (`?add=<stage>`,
 * with `&type=` to preselect). The request is dropped from the address once opened, so a save or a reload of the
 * tab doesn't open it again.
 */
function openRequestedEditor(openEditor, draft) {
  const [page, query] = location.hash.split('?');
  if (!query) return;
  history.replaceState(null, '', page);
  const wanted = new URLSearchParams(query);
  const edit = wanted.get('edit');
  const add = wanted.get('add');
  if (edit) {
    for (const [stage] of STAGES) {
      const index = draft.actions[stage].findIndex((a) => a.id === edit);
      if (index >= 0) return openEditor(stage, index);
    }
  } else if (STAGES.some(([stage]) => stage === add)) {
    openEditor(add, undefined, wanted.get('type') ?? undefined);
  }
}

/** Where a problem's field points: `actions.afterCall[1].body` → the second after-call action. */
function locate(problem) {
  const m = /^actions\.(beforeCall|duringCall|afterCall)\[(\d+)\]/.exec(problem.field ?? '');
  return m ? { stage: m[1], index: Number(m[2]) } : null;
}

function fieldWithin(field) {
  const rest = (field ?? '').replace(/^actions\.(beforeCall|duringCall|afterCall)\[\d+\]\.?/, '');
  return rest ? [h('code', {}, rest), ': '] : null;
}
