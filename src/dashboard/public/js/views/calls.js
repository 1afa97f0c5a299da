// The Calls tab: the agent's call log with disposition and date filters, and dispositions per day.
import { api, q } from '../api.js';
import { daysFrom, dispositionChart } from '../chart.js';
import { clear, errorBox, formatDuration, formatTime, h, maskPhone, maskPhonesIn } from '../dom.js';

export async function renderCallsTab({ panel, stored }) {
  const agentId = stored.agent.id;
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const disposition = h(
    'select',
    { id: 'f-disposition', name: 'disposition' },
    h('option', { value: '' }, 'Any'),
  );
  const from = h('input', { id: 'f-from', name: 'from', type: 'date', value: params.get('from') ?? '' });
  const to = h('input', { id: 'f-to', name: 'to', type: 'date', value: params.get('to') ?? '' });
  const results = h('div', { 'aria-live': 'polite' });
  const chart = h('div', {});
  const codes = new Set(
    (stored.agent.actions?.afterCall ?? [])
      .filter((a) => a.type === 'set_disposition')
      .flatMap((a) => a.codes ?? []),
  );

  const load = async () => {
    clear(results, h('p', {}, 'Loading…'));
    const query = new URLSearchParams({ agent: agentId });
    if (disposition.value) query.set('disposition', disposition.value);
    if (from.value) query.set('from', new Date(`${from.value}T00:00:00`).toISOString());
    if (to.value) query.set('to', new Date(`${to.value}T23:59:59.999`).toISOString());
    let calls;
    try {
      calls = (await api('GET', `calls?${query}`)).body?.calls ?? [];
    } catch (err) {
      clear(results, errorBox(`Could not load the calls: ${err.message}`, err.details));
      return;
    }
    for (const c of calls) if (c.disposition && !codes.has(c.disposition)) codes.add(c.disposition);
    fillDispositions();
    clear(results, calls.length ? callTable(agentId, calls) : h('p', {}, 'No calls match these filters.'));
    const range = new URLSearchParams({ agent: agentId, bucket: 'day' });
    for (const k of ['from', 'to']) if (query.get(k)) range.set(k, query.get(k));
    const analytics = await api('GET', `analytics/dispositions?${range}`).then(
      (r) => r.body,
      () => null,
    );
    const days = daysFrom(analytics, calls);
    clear(
      chart,
      h('h2', { id: 'chart-title' }, 'Dispositions per day'),
      days.length ? dispositionChart(days) : h('p', {}, 'No calls in this range.'),
    );
  };
  const fillDispositions = () => {
    const chosen = disposition.value || params.get('disposition') || '';
    clear(
      disposition,
      h('option', { value: '' }, 'Any'),
      [...codes].sort().map((c) => h('option', { value: c, selected: c === chosen || undefined }, c)),
    );
  };
  fillDispositions();

  clear(
    panel,
    h(
      'form',
      {
        class: 'filters card',
        'aria-label': 'Filter calls',
        onsubmit: (e) => {
          e.preventDefault();
          load();
        },
      },
      h('div', { class: 'field' }, h('label', { for: 'f-disposition' }, 'Disposition'), disposition),
      h('div', { class: 'field' }, h('label', { for: 'f-from' }, 'From'), from),
      h('div', { class: 'field' }, h('label', { for: 'f-to' }, 'To'), to),
      h('button', { type: 'submit', class: 'primary' }, 'Apply filters'),
    ),
    results,
    h('section', { class: 'card', 'aria-labelledby': 'chart-title' }, chart),
  );
  await load();
}

function callTable(agentId, calls) {
  return h(
    'table',
    { class: 'table', 'aria-label': 'Calls' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Time', 'Caller', 'Duration', 'Disposition', 'Status', 'Collected data'].map((t) =>
          h('th', { scope: 'col' }, t),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      calls.map((c) =>
        h(
          'tr',
          { dataset: { callId: c.callId } },
          h(
            'td',
            {},
            h('a', { href: `#/agents/${q(agentId)}/calls/${q(c.callId)}` }, formatTime(c.startedAt)),
          ),
          h('td', {}, c.callerMasked ?? maskPhone(c.caller)),
          h('td', {}, formatDuration(c.durationSeconds)),
          h('td', {}, c.disposition ?? '—'),
          h('td', {}, c.status ?? ''),
          h('td', { class: 'data' }, dataSummary(c.data)),
        ),
      ),
    ),
  );
}

function dataSummary(data) {
  const entries = Object.entries(data ?? {}).filter(([, v]) => v !== null && v !== undefined && v !== '');
  if (!entries.length) return '—';
  return h(
    'dl',
    { class: 'inline-dl' },
    entries
      .slice(0, 6)
      .map(([k, v]) => [
        h('dt', {}, k),
        h('dd', {}, maskPhonesIn(typeof v === 'object' ? JSON.stringify(v) : v)),
      ]),
  );
}
