// The Versions tab: every saved version, what it held, and restoring one (which saves it as a new version).
import { api, q } from '../api.js';
import { clear, errorBox, formatTime, h, json } from '../dom.js';

export async function renderVersionsTab({ panel, stored, reload }) {
  const agentId = stored.agent.id;
  const view = h('div', { 'aria-live': 'polite' });
  let versions = [];
  try {
    versions = (await api('GET', `agents/${q(agentId)}/versions`)).body?.versions ?? [];
  } catch (err) {
    clear(panel, errorBox(`Could not load the versions: ${err.message}`, err.details));
    return;
  }
  const show = async (v) => {
    clear(view, 'Loading…');
    try {
      const { body } = await api('GET', `agents/${q(agentId)}/versions/${q(v)}`);
      clear(
        view,
        h('h2', {}, `Version ${v}`),
        h('pre', { class: 'code', tabindex: '0' }, json(body.agent ?? body)),
      );
    } catch (err) {
      clear(view, errorBox(err.message, err.details));
    }
  };
  const restore = async (v) => {
    try {
      await api('POST', `agents/${q(agentId)}/versions/${q(v)}/restore`, {});
      await reload(`Version ${v} restored as a new version.`);
    } catch (err) {
      clear(view, errorBox(`Could not restore version ${v}: ${err.message}`, err.details));
    }
  };
  clear(
    panel,
    h(
      'table',
      { class: 'table' },
      h('caption', { class: 'visually-hidden' }, 'Versions'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Version', 'Saved', 'By', ''].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h(
        'tbody',
        {},
        versions.map((entry) => {
          const v = entry.version;
          return h(
            'tr',
            {},
            h('td', {}, v, v === stored.version ? ' (current)' : ''),
            h('td', {}, formatTime(entry.createdAt ?? entry.updatedAt)),
            h('td', {}, entry.author ?? entry.updatedBy ?? '', entry.note ? ` — ${entry.note}` : ''),
            h(
              'td',
              { class: 'buttons' },
              h(
                'button',
                { type: 'button', onclick: () => show(v), 'aria-label': `View version ${v}` },
                'View',
              ),
              v === stored.version
                ? null
                : h(
                    'button',
                    { type: 'button', onclick: () => restore(v), 'aria-label': `Restore version ${v}` },
                    'Restore',
                  ),
            ),
          );
        }),
      ),
    ),
    view,
  );
}
