import { ApiError, api, q } from '../api.js';
import { clear, errorBox, formatTime, h } from '../dom.js';

/** The agents list and the form that creates one. */
export async function renderAgents({ main }) {
  document.title = 'AI Voice Agents · callflow';
  clear(main, h('h1', {}, 'AI Voice Agents'), h('p', {}, 'Loading…'));
  let agents = [];
  let problem = null;
  try {
    const { body } = await api('GET', 'agents');
    agents = body?.agents ?? [];
  } catch (err) {
    problem = errorBox(`Could not load the agents: ${err.message}`, err.details);
  }
  const rows = agents.map((entry) => {
    const agent = entry.agent ?? entry;
    return h(
      'tr',
      {},
      h('td', {}, h('a', { href: `#/agents/${q(agent.id)}/actions` }, agent.name ?? agent.id)),
      h('td', {}, h('code', {}, agent.id)),
      h('td', {}, entry.version ?? ''),
      h('td', {}, formatTime(entry.updatedAt)),
    );
  });
  clear(
    main,
    h('h1', {}, 'AI Voice Agents'),
    problem,
    agents.length
      ? h(
          'table',
          { class: 'table' },
          h('caption', { class: 'visually-hidden' }, 'Agents'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Name', 'Id', 'Version', 'Updated'].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h('tbody', {}, rows),
        )
      : problem
        ? null
        : h('p', {}, 'No agents yet.'),
    newAgentForm(),
  );
}

function newAgentForm() {
  const id = h('input', { id: 'new-agent-id', name: 'id', required: true, pattern: '[a-z][a-z0-9_\\-]*' });
  const name = h('input', { id: 'new-agent-name', name: 'name', required: true });
  const status = h('div', { 'aria-live': 'polite' });
  return h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'new-agent-title',
      onsubmit: async (e) => {
        e.preventDefault();
        clear(status);
        const agent = {
          id: id.value.trim(),
          name: name.value.trim(),
          actions: { duringCall: [], afterCall: [] },
        };
        try {
          await api('POST', 'agents', agent);
          location.hash = `#/agents/${q(agent.id)}/actions`;
        } catch (err) {
          clear(
            status,
            errorBox(
              `Could not create the agent: ${err.message}`,
              err instanceof ApiError ? err.details : [],
            ),
          );
        }
      },
    },
    h('h2', { id: 'new-agent-title' }, 'New agent'),
    h(
      'div',
      { class: 'row' },
      h(
        'div',
        {},
        h('label', { for: 'new-agent-id' }, 'Id'),
        id,
        h('p', { class: 'hint' }, 'Lowercase letters, digits, "_" or "-"; it cannot be changed later.'),
      ),
      h('div', {}, h('label', { for: 'new-agent-name' }, 'Name'), name),
    ),
    status,
    h('button', { type: 'submit', class: 'primary' }, 'Create agent'),
  );
}
