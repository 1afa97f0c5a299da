// The Try-it dialog: runs one action once in dry-run with sample arguments (POST …/try) and shows the rendered
// request and what came of it. Nothing is saved, texted, booked or logged; an HTTP request is sent only when
// the box is ticked; a CRM or calendar lookup reads the configured provider for the sample caller.
import { api, q } from '../api.js';
import { clear, errorBox, h, json } from '../dom.js';

/** Types that only read from the configured CRM or calendar: a try runs them for real. */
const LOOKUPS = new Set(['crm_lookup', 'calendar_lookup']);

/**
 * Runs `action` of agent `agentId` once in dry-run with sample arguments. With `draft` (the unsaved agent it
 * sits in), the definition itself is sent (POST …/actions/:stage/try, at `position`); otherwise the saved
 * action, by id. Closing the dialog gives the focus back to `returnFocus`.
 */
export function openTryDialog(agentId, stage, action, { draft, position, returnFocus } = {}) {
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
  const lookup = LOOKUPS.has(action.type);
  const callerInput = lookup
    ? h('input', {
        id: 'try-caller',
        type: 'tel',
        autocomplete: 'off',
        placeholder: '+15555550123',
        'aria-describedby': 'try-caller-hint',
      })
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
        const caller = callerInput?.value.trim();
        const request = {
          args,
          ...(send?.checked ? { send: true } : {}),
          ...(caller ? { call: { from: caller } } : {}),
        };
        clear(out, 'Running…');
        try {
          const { body } = unsaved
            ? await api('POST', `agents/${q(agentId)}/actions/${stage}/try`, {
                ...request,
                action,
                position,
                agent: draft,
              })
            : await api('POST', `agents/${q(agentId)}/actions/${stage}/${q(action.id)}/try`, request);
          clear(
            out,
            h('h3', {}, 'Rendered request'),
            h('pre', { class: 'code', tabindex: '0' }, json(body.rendered)),
            h('h3', {}, 'Result'),
            h('p', { class: 'try-status' }, statusText(body.result, lookup)),
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
      send
        ? '; the HTTP request is shown, and sent only when you tick the box below.'
        : lookup
          ? '; the lookup only reads, so it asks the configured CRM or calendar for real.'
          : '.',
    ),
    h('label', { for: 'try-args' }, 'Sample arguments (JSON)'),
    argsInput,
    callerInput
      ? h(
          'div',
          { class: 'field' },
          h('label', { for: 'try-caller' }, 'Sample caller’s number'),
          callerInput,
          h('p', { class: 'hint', id: 'try-caller-hint' }, 'The number looked up; default +15555550123.'),
        )
      : null,
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

/** What came of a dry run, in a sentence. */
function statusText(result, lookup) {
  if (result?.status === 'completed') {
    if (result.dryRun) return 'Completed (dry run).';
    return lookup ? 'Completed: read from the configured provider.' : 'Completed: it was sent.';
  }
  if (result?.status === 'failed') return `Failed: ${result.error?.message ?? ''}`;
  return `${result?.status ?? 'unknown'}: ${result?.reason ?? ''}`;
}
