// The Tests tab: the agent's test cases, run one or all, each failed expectation shown as a diff; and last week's
// recorded calls replayed, call by call. Both run against the current version, another stored one, or an unsaved
// draft edited here, which can then be published (refused while its tests fail, unless forced).
import { api, q } from '../api.js';
import { clear, errorBox, h, json } from '../dom.js';

const WEEK_MS = 7 * 24 * 3600 * 1000;

function testResult(t) {
  const failed = t.expectations.filter((e) => !e.passed);
  return h(
    'li',
    { class: t.passed ? 'ok' : 'error', 'data-test': t.name },
    h('strong', {}, t.passed ? 'PASS ' : 'FAIL '),
    t.name,
    ` (${t.expectations.length} checks, ${t.durationMs} ms)`,
    t.error ? h('p', {}, t.error) : null,
    failed.length
      ? h(
          'pre',
          { class: 'code diff', tabindex: '0' },
          failed.map((e) => `${e.path}:\n${e.diff ?? ''}`).join('\n\n'),
        )
      : null,
  );
}

function replayResult(summary) {
  const kinds = Object.entries(summary.byKind ?? {})
    .map(([k, n]) => `${k.replace(/_/g, ' ')}: ${n}`)
    .join(', ');
  return h(
    'div',
    {},
    h(
      'p',
      { class: 'replay-summary' },
      `${summary.calls} calls replayed, ${summary.changed} would go differently${kinds ? ` (${kinds})` : ''}.`,
    ),
    h(
      'ul',
      {},
      summary.results
        .filter((r) => r.changed || r.error)
        .map((r) =>
          h(
            'li',
            {},
            h('code', {}, r.callId),
            r.error ? ` could not run: ${r.error}` : null,
            r.changes.length
              ? h(
                  'pre',
                  { class: 'code diff', tabindex: '0' },
                  r.changes
                    .map((c) => `${c.kind}${c.at ? ` ${c.at}` : ''}\n- ${json(c.before)}\n+ ${json(c.after)}`)
                    .join('\n\n'),
                )
              : null,
          ),
        ),
    ),
  );
}

/** The chooser of what to test: the current version, a stored one, or the draft edited below it. */
function targetPicker(stored, versions, reload) {
  const agentId = stored.agent.id;
  const select = h(
    'select',
    { id: 'test-against' },
    h('option', { value: 'current' }, `The current version (${stored.version ?? '?'})`),
    h('option', { value: 'draft' }, 'A draft: the configuration below, unsaved'),
    versions
      .filter((v) => v.version !== stored.version)
      .map((v) => h('option', { value: `v${v.version}` }, `Version ${v.version}`)),
  );
  const text = h('textarea', {
    id: 'test-draft',
    class: 'code',
    rows: 18,
    spellcheck: 'false',
    value: JSON.stringify(stored.agent, null, 2),
  });
  const status = h('div', { 'aria-live': 'polite' });
  const publish = async (force) => {
    let draft;
    try {
      draft = JSON.parse(text.value);
    } catch (err) {
      clear(status, errorBox(`The draft is not JSON: ${err.message}`));
      return;
    }
    try {
      const { body } = await api('PUT', `agents/${q(agentId)}${force ? '?force=true' : ''}`, draft, {
        'if-match': String(stored.version),
      });
      await reload(`Published as version ${body?.version ?? ''}.`);
    } catch (err) {
      const failing = err.status === 409 && err.details.some((d) => String(d.field).startsWith('tests'));
      clear(
        status,
        errorBox(failing ? 'Not published: its tests fail.' : `Not published: ${err.message}`, err.details),
        failing
          ? h('button', { type: 'button', onclick: () => publish(true) }, 'Publish anyway (recorded with it)')
          : null,
      );
    }
  };
  const draftBox = h(
    'div',
    { id: 'test-draft-box', hidden: true },
    h('label', { for: 'test-draft' }, 'Draft configuration (JSON, with its tests)'),
    text,
    h(
      'p',
      { class: 'buttons' },
      h('button', { type: 'button', onclick: () => publish(false) }, 'Publish this draft'),
    ),
    status,
  );
  select.addEventListener('change', () => {
    draftBox.hidden = select.value !== 'draft';
  });
  /** What the API is told to run against: `{ draft }`, `{ version }` or nothing (the current version). */
  const target = () => {
    if (select.value === 'draft') {
      try {
        return { draft: JSON.parse(text.value) };
      } catch (err) {
        throw new Error(`the draft is not JSON: ${err.message}`);
      }
    }
    return select.value.startsWith('v') ? { version: Number(select.value.slice(1)) } : {};
  };
  const element = h(
    'div',
    {},
    h('p', {}, h('label', { for: 'test-against' }, 'Run against '), select),
    draftBox,
  );
  return { element, target };
}

export async function renderTestsTab({ panel, stored, reload }) {
  const agentId = stored.agent.id;
  const tests = Array.isArray(stored.agent.tests) ? stored.agent.tests : [];
  const results = h('div', { 'aria-live': 'polite', id: 'test-results' });
  let versions = [];
  try {
    versions = (await api('GET', `agents/${q(agentId)}/versions`)).body?.versions ?? [];
  } catch {
    // Without the list, the current version and a draft can still be tested.
  }
  const picker = targetPicker(stored, versions, reload);
  const run = async (only) => {
    clear(results, 'Running…');
    try {
      const body = { ...picker.target(), ...(only ? { only: [only] } : {}) };
      const { body: report } = await api('POST', `agents/${q(agentId)}/tests/run`, body);
      clear(
        results,
        h(
          'p',
          { class: 'test-summary' },
          `${report.passed} passed, ${report.failed} failed of ${report.total}`,
        ),
        h('ul', { class: 'test-results' }, report.tests.map(testResult)),
      );
    } catch (err) {
      clear(results, errorBox(`Could not run the tests: ${err.message}`, err.details));
    }
  };
  const replay = async () => {
    clear(results, 'Replaying…');
    try {
      const from = new Date(Date.now() - WEEK_MS).toISOString();
      const body = { ...picker.target(), from, limit: 100 };
      const { body: summary } = await api('POST', `agents/${q(agentId)}/replay`, body);
      clear(results, replayResult(summary));
    } catch (err) {
      clear(results, errorBox(`Could not replay: ${err.message}`, err.details));
    }
  };
  clear(
    panel,
    picker.element,
    tests.length
      ? h(
          'table',
          { class: 'table' },
          h('caption', { class: 'visually-hidden' }, 'Tests'),
          h(
            'tbody',
            {},
            tests.map((t) =>
              h(
                'tr',
                {},
                h('td', {}, t.name),
                h(
                  'td',
                  { class: 'buttons' },
                  h(
                    'button',
                    { type: 'button', onclick: () => run(t.name), 'aria-label': `Run ${t.name}` },
                    'Run',
                  ),
                ),
              ),
            ),
          ),
        )
      : h('p', {}, 'This agent has no tests: add a tests: list to its YAML (README "Testing an agent").'),
    h(
      'p',
      { class: 'buttons' },
      tests.length
        ? h('button', { type: 'button', class: 'primary', onclick: () => run() }, 'Run all tests')
        : null,
      h('button', { type: 'button', onclick: replay }, "Replay last week's calls"),
    ),
    results,
  );
}
