// The Tests tab: the agent's test cases, run one or all against the current version, each failed expectation
// shown as a diff; and last week's recorded calls replayed through the current version.
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

export async function renderTestsTab({ panel, stored }) {
  const agentId = stored.agent.id;
  const tests = Array.isArray(stored.agent.tests) ? stored.agent.tests : [];
  const results = h('div', { 'aria-live': 'polite', id: 'test-results' });
  const run = async (only) => {
    clear(results, 'Running…');
    try {
      const { body } = await api('POST', `agents/${q(agentId)}/tests/run`, only ? { only: [only] } : {});
      clear(
        results,
        h('p', { class: 'test-summary' }, `${body.passed} passed, ${body.failed} failed of ${body.total}`),
        h('ul', { class: 'test-results' }, body.tests.map(testResult)),
      );
    } catch (err) {
      clear(results, errorBox(`Could not run the tests: ${err.message}`, err.details));
    }
  };
  const replay = async () => {
    clear(results, 'Replaying…');
    try {
      const from = new Date(Date.now() - WEEK_MS).toISOString();
      const { body } = await api('POST', `agents/${q(agentId)}/replay`, { from, limit: 100 });
      clear(results, replayResult(body));
    } catch (err) {
      clear(results, errorBox(`Could not replay: ${err.message}`, err.details));
    }
  };
  clear(
    panel,
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
