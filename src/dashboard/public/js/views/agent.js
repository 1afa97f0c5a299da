import { api, q } from '../api.js';
import { clear, errorBox, formatTime, h } from '../dom.js';
import { renderActionsTab } from './actions.js';
import { renderCallsTab } from './calls.js';
import { renderSettingsTab } from './settings.js';
import { renderTestsTab } from './tests.js';
import { renderVersionsTab } from './versions.js';

const TABS = [
  ['settings', 'Settings', renderSettingsTab],
  ['actions', 'Actions', renderActionsTab],
  ['calls', 'Calls', renderCallsTab],
  ['tests', 'Tests', renderTestsTab],
  ['versions', 'Versions', renderVersionsTab],
];

/** One agent: a heading, the tabs, and the chosen tab's panel. */
export async function renderAgentPage(ctx, agentId, tab, flash) {
  const { main } = ctx;
  clear(main, h('p', {}, 'Loading…'));
  let stored;
  try {
    stored = (await api('GET', `agents/${q(agentId)}`)).body;
  } catch (err) {
    clear(
      main,
      h('p', {}, h('a', { href: '#/agents' }, '← AI Voice Agents')),
      errorBox(`Could not load agent "${agentId}": ${err.message}`, err.details),
    );
    return;
  }
  const current = TABS.find(([key]) => key === tab) ?? TABS[1];
  document.title = `${stored.agent.name} · ${current[1]} · callflow`;
  const panel = h('section', { id: 'tab-panel', 'aria-labelledby': `tab-${current[0]}` });
  clear(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/agents' }, 'AI Voice Agents'), ' / ', stored.agent.name),
    h('h1', {}, stored.agent.name, ' ', h('small', {}, h('code', {}, stored.agent.id))),
    h(
      'p',
      { class: 'meta' },
      `Version ${stored.version ?? '?'}`,
      stored.updatedAt ? ` · updated ${formatTime(stored.updatedAt)}` : '',
      stored.updatedBy ? ` by ${stored.updatedBy}` : '',
    ),
    h(
      'nav',
      { class: 'tabs', 'aria-label': 'Agent sections' },
      TABS.map(([key, label]) =>
        h(
          'a',
          {
            id: `tab-${key}`,
            href: `#/agents/${q(agentId)}/${key}`,
            'aria-current': key === current[0] ? 'page' : undefined,
          },
          label,
        ),
      ),
    ),
    h('div', { role: 'status' }, flash ? h('p', { class: 'ok' }, flash) : null),
    panel,
  );
  const pageOf = (hash) => hash.split('?')[0];
  const here = pageOf(location.hash);
  // Re-renders this tab after a save, unless the user has gone elsewhere meanwhile (a tab may drop its `?…`).
  const reload = (message) =>
    pageOf(location.hash) === here ? renderAgentPage(ctx, agentId, current[0], message) : undefined;
  await current[2]({ ...ctx, panel, stored, reload });
}
