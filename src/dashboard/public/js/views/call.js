// One call: transcript, every action in the order it ran (status, timing, rendered input, output or error),
// transfers with their attempts, collected data, what the platform's deliveries carried that was not recognised,
// the raw deliveries themselves, and a link to the run in the Temporal UI.
import { api, q } from '../api.js';
import { clear, errorBox, formatDuration, formatTime, h, json, maskPhone, maskPhonesIn } from '../dom.js';

export async function renderCall({ main, deployment }, agentId, callId) {
  document.title = `Call ${callId} · callflow`;
  const crumbs = h(
    'p',
    { class: 'crumbs' },
    h('a', { href: '#/agents' }, 'AI Voice Agents'),
    ' / ',
    h('a', { href: `#/agents/${q(agentId)}/calls` }, agentId),
    ' / calls / ',
    callId,
  );
  clear(main, crumbs, h('p', {}, 'Loading…'));
  let answer;
  try {
    answer = (await api('GET', `calls/${q(callId)}`)).body;
  } catch (err) {
    clear(main, crumbs, errorBox(`Could not load call "${callId}": ${err.message}`, err.details));
    return;
  }
  const call = answer.record ?? answer.state ?? {};
  const temporalLink = deployment?.temporalUiUrl
    ? h(
        'a',
        {
          href: `${deployment.temporalUiUrl.replace(/\/$/, '')}/namespaces/${q(deployment.namespace)}/workflows/${q(`call-${callId}`)}`,
          target: '_blank',
          rel: 'noopener noreferrer',
        },
        'Open this run in the Temporal UI',
      )
    : null;
  const duration =
    call.startedAt && call.endedAt
      ? Math.max(0, Date.parse(call.endedAt) - Date.parse(call.startedAt)) / 1000
      : undefined;
  clear(
    main,
    crumbs,
    h('h1', {}, `Call ${callId}`),
    h(
      'dl',
      { class: 'facts' },
      fact('Status', answer.status === 'running' ? `running (${call.status ?? ''})` : answer.status),
      fact('Direction', call.direction),
      fact('Caller', maskPhone(call.direction === 'outbound' ? call.to : call.from)),
      fact('Started', formatTime(call.startedAt)),
      fact('Ended', formatTime(call.endedAt)),
      fact('Duration', formatDuration(duration)),
      fact('End reason', call.endReason),
      fact('Disposition', call.disposition ?? '—'),
      fact('Agent version', call.agentVersion),
    ),
    temporalLink ? h('p', {}, temporalLink) : null,
    call.summary
      ? h('section', { class: 'card' }, h('h2', {}, 'Summary'), h('p', {}, maskPhonesIn(call.summary)))
      : null,
    transcript(call.transcript ?? []),
    actions(call.actions ?? []),
    transfers(call.transfers ?? []),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'data-title' },
      h('h2', { id: 'data-title' }, 'Collected data'),
      Object.keys(call.data ?? {}).length
        ? h('pre', { class: 'code', tabindex: '0' }, maskPhonesIn(json(call.data)))
        : h('p', {}, 'None.'),
    ),
    warnings(call.warnings ?? []),
    deliveriesCard(callId),
  );
}

function warnings(list) {
  if (!list.length) return null;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'warnings-title' },
    h('h2', { id: 'warnings-title' }, 'Warnings'),
    h(
      'p',
      {},
      "What the platform's deliveries carried that was not recognised (see the raw deliveries below).",
    ),
    h(
      'ul',
      { class: 'warnings' },
      list.map((w) =>
        h(
          'li',
          {},
          w.field ? h('code', {}, w.field) : null,
          w.field ? ': ' : null,
          w.message,
          w.deliveryId ? h('span', { class: 'timing' }, ` · delivery ${w.deliveryId}`) : null,
        ),
      ),
    ),
  );
}

/** The call's raw webhooks, loaded after the page: the API opens them (they are sealed in the store). */
function deliveriesCard(callId) {
  const body = h('p', {}, 'Loading…');
  const card = h(
    'section',
    { class: 'card', 'aria-labelledby': 'deliveries-title' },
    h('h2', { id: 'deliveries-title' }, 'Raw deliveries'),
    body,
  );
  api('GET', `calls/${q(callId)}/deliveries`).then(
    ({ body: answer }) => clear(card, card.firstChild, deliveryList(answer.deliveries ?? [])),
    (err) =>
      clear(card, card.firstChild, errorBox(`Could not load the deliveries: ${err.message}`, err.details)),
  );
  return card;
}

function deliveryList(list) {
  if (!list.length) return h('p', {}, 'None kept (no platform webhooks, or past the retention).');
  return h(
    'ol',
    { class: 'deliveries' },
    list.map((d) =>
      h(
        'li',
        { dataset: { deliveryId: d.deliveryId } },
        h(
          'details',
          {},
          h(
            'summary',
            {},
            `${formatTime(d.receivedAt)} · ${d.platform} · ${d.deliveryId}`,
            d.warnings?.length ? ` · ${d.warnings.length} warning(s)` : '',
          ),
          h('pre', { class: 'code', tabindex: '0' }, maskPhonesIn(pretty(d.body))),
        ),
      ),
    ),
  );
}

function pretty(text) {
  try {
    return json(JSON.parse(text));
  } catch {
    return String(text);
  }
}

function fact(label, value) {
  if (value === undefined || value === null || value === '') return null;
  return h('div', {}, h('dt', {}, label), h('dd', {}, String(value)));
}

function transcript(entries) {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'transcript-title' },
    h('h2', { id: 'transcript-title' }, 'Transcript'),
    entries.length
      ? h(
          'ol',
          { class: 'transcript' },
          entries.map((t) =>
            h(
              'li',
              { class: `turn ${t.role}` },
              h('span', { class: 'who' }, t.role === 'caller' ? 'Caller' : 'Agent'),
              h('time', { datetime: t.at }, formatTime(t.at)),
              h('p', {}, maskPhonesIn(t.text)),
            ),
          ),
        )
      : h('p', {}, 'No transcript.'),
  );
}

function actions(runs) {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'actions-title' },
    h('h2', { id: 'actions-title' }, 'Actions'),
    runs.length
      ? h(
          'ol',
          { class: 'runs' },
          runs.map((run) =>
            h(
              'li',
              { class: `run ${run.status}`, dataset: { actionId: run.actionId } },
              h(
                'div',
                { class: 'run-head' },
                h('strong', {}, run.actionId),
                ' ',
                h('span', { class: 'badge' }, run.type),
                ' ',
                h('span', { class: 'badge' }, run.stage === 'duringCall' ? 'During Call' : 'After Call'),
                ' ',
                h('span', { class: `status-${run.status}` }, run.status),
                h(
                  'span',
                  { class: 'timing' },
                  `${formatTime(run.startedAt)} · ${Math.max(0, Date.parse(run.finishedAt) - Date.parse(run.startedAt))} ms`,
                ),
              ),
              run.reason ? h('p', {}, 'Reason: ', maskPhonesIn(run.reason)) : null,
              run.error
                ? h('p', { class: 'error' }, `${run.error.type}: `, maskPhonesIn(run.error.message))
                : null,
              run.input !== undefined ? detail('Rendered input', run.input) : null,
              run.type === 'extract_data' ? extractedValues(run.output) : null,
              run.output !== undefined ? detail('Output', run.output) : null,
            ),
          ),
        )
      : h('p', {}, 'No actions ran.'),
  );
}

// Each extracted value beside the words it came from (turn numbers count the transcript above from 1), and
// for the ensemble the values the check refused, with the reason.
function extractedValues(output) {
  const data = output?.data;
  if (!data || typeof data !== 'object') return null;
  const evidence = output.evidence ?? {};
  const rejected = output.rejected ?? {};
  const why = (name) => {
    const e = evidence[name];
    if (e) return [`turn ${e.turn + 1}: `, h('q', {}, maskPhonesIn(e.quote))];
    const r = rejected[name];
    return r ? `refused ${maskPhonesIn(json(r.proposed))}: ${maskPhonesIn(r.reason)}` : '';
  };
  return h(
    'table',
    { class: 'table compact evidence' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Field', 'Value', 'Evidence'].map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    h(
      'tbody',
      {},
      Object.entries(data).map(([name, value]) =>
        h(
          'tr',
          { dataset: { field: name } },
          h('td', {}, name),
          h('td', {}, value === null ? '—' : maskPhonesIn(String(value))),
          h('td', {}, why(name)),
        ),
      ),
    ),
  );
}

function detail(title, value) {
  return h(
    'details',
    {},
    h('summary', {}, title),
    h('pre', { class: 'code', tabindex: '0' }, maskPhonesIn(json(value))),
  );
}

function transfers(list) {
  if (!list.length) return null;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'transfers-title' },
    h('h2', { id: 'transfers-title' }, 'Transfers'),
    list.map((t) =>
      h(
        'div',
        { class: 'transfer' },
        h('h3', {}, `To ${t.requested}`, t.result ? ` — ${t.result.status}` : ''),
        t.reason ? h('p', {}, 'Reason: ', t.reason) : null,
        h(
          'table',
          { class: 'table compact' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Target', 'Destination', 'Mode', 'Started', 'Outcome', 'Leg events'].map((c) =>
                h('th', { scope: 'col' }, c),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            (t.attempts ?? []).map((a) =>
              h(
                'tr',
                {},
                h('td', {}, a.target),
                h('td', {}, maskPhone(a.destination)),
                h('td', {}, a.mode),
                h('td', {}, formatTime(a.startedAt)),
                h('td', {}, a.outcome ?? 'pending', a.timedOut ? ' (ring timeout)' : ''),
                h('td', {}, (a.events ?? []).map((e) => e.status).join(' → ')),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}
