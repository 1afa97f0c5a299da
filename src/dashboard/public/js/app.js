import { closeTemporalUiSession, dashboardJson, openTemporalUiSession, setToken, token } from './api.js';
import { clear, h } from './dom.js';
import { renderAgentPage } from './views/agent.js';
import { renderAgents } from './views/agents.js';
import { renderCall } from './views/call.js';

const main = document.getElementById('main');
const logout = document.getElementById('logout');
let deployment = null;

/** Hash routes, so the static shell is one file and every page can be bookmarked; `?…` is the page's own. */
function route() {
  const path = location.hash.replace(/^#/, '').split('?')[0] || '/agents';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return parts;
}

async function render() {
  if (!token()) return renderLogin();
  logout.hidden = false;
  const parts = route();
  if (!deployment) {
    try {
      deployment = (await dashboardJson('settings.json')).body;
      // A UI served on this origin (npm start's /temporal/) decodes with the codec's cookie: get it now.
      if (deployment.temporalUiUrl?.startsWith('/')) await openTemporalUiSession();
    } catch {
      if (!token()) return renderLogin('That token was not accepted.');
      deployment = { temporalUiUrl: null, namespace: 'default' };
    }
  }
  const ctx = { main, deployment };
  if (parts[0] !== 'agents' || parts.length === 1) return renderAgents(ctx);
  const agentId = parts[1];
  if (parts[2] === 'calls' && parts[3]) return renderCall(ctx, agentId, parts[3]);
  return renderAgentPage(ctx, agentId, parts[2] ?? 'actions');
}

function renderLogin(problem) {
  logout.hidden = true;
  deployment = null;
  document.title = 'Sign in · callflow';
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    required: true,
    'aria-describedby': 'token-help',
  });
  const form = h(
    'form',
    {
      class: 'card narrow',
      onsubmit: (e) => {
        e.preventDefault();
        setToken(input.value.trim());
        render();
      },
    },
    h('h1', {}, 'Sign in'),
    problem ? h('p', { class: 'error', role: 'alert' }, problem) : null,
    h('label', { for: 'token' }, 'API token'),
    input,
    h(
      'p',
      { id: 'token-help', class: 'hint' },
      'The CALLFLOW_API_TOKEN (npm start prints it). It is kept in this tab only and sent as the bearer header.',
    ),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  clear(main, form);
  input.focus();
}

logout.addEventListener('click', () => {
  setToken(null);
  closeTemporalUiSession();
  renderLogin();
});
window.addEventListener('callflow:signed-out', () => renderLogin('Signed out: the token was not accepted.'));
window.addEventListener('hashchange', () => {
  render().then(() => main.focus({ preventScroll: true }));
});
render();
