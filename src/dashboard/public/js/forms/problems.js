// Inline problems for a form: each control registers the config path it edits, and a problem (from the API's
// field paths, or a check in the page) is shown beside the control with the longest path that contains it.
import { clear, h, uid } from '../dom.js';

/** Whether `field` is `path` or lies inside it: "a.b[0].c" is inside "a.b" and "a.b[0]", not "a.bc". */
export function inside(field, path) {
  if (field === path) return true;
  if (!path) return false;
  return field.startsWith(`${path}.`) || field.startsWith(`${path}[`);
}

/** `field` relative to `path` ("a.b.c" in "a" → "b.c"; "a[0].c" in "a" → "[0].c"). */
export function within(field, path) {
  if (!path) return field;
  return field.slice(path.length).replace(/^\./, '');
}

export class ProblemSlots {
  #slots = [];

  /**
   * A message element beside `control` for problems at `path` (relative to this form). The control gets it in
   * aria-describedby and aria-invalid while it shows something. An empty path takes only problems at exactly
   * the form's own path (e.g. "give exactly one of number or sip" about a whole transfer target). The label
   * (text, or a function for a label that changes) starts each message, so it names the field.
   */
  add(path, control, label) {
    const el = h('p', { class: 'field-error', id: uid('problem'), hidden: true });
    const described = control.getAttribute('aria-describedby');
    control.setAttribute('aria-describedby', [described, el.id].filter(Boolean).join(' '));
    this.#slots.push({ path, control, label, el });
    return el;
  }

  /** Shows each problem beside its control; returns the ones no control here takes. */
  show(problems) {
    // Controls removed from the page (a removed target, a re-rendered list) take nothing any more.
    this.#slots = this.#slots.filter((s) => s.control.isConnected);
    for (const slot of this.#slots) {
      clear(slot.el);
      slot.el.hidden = true;
      slot.control.removeAttribute('aria-invalid');
    }
    const unplaced = [];
    for (const problem of problems) {
      const field = problem.field ?? '';
      const slot = this.#slots
        .filter((s) => (s.path === '' ? field === '' : inside(field, s.path)))
        .sort((a, b) => b.path.length - a.path.length)[0];
      if (!slot) {
        unplaced.push(problem);
        continue;
      }
      const rest = within(field, slot.path);
      slot.el.hidden = false;
      const label = typeof slot.label === 'function' ? slot.label() : slot.label;
      slot.el.append(
        h(
          'span',
          { class: 'problem' },
          label ? `${label}${rest ? ` (${rest})` : ''}: ` : '',
          problem.message,
        ),
      );
      slot.control.setAttribute('aria-invalid', 'true');
      // A problem inside a folded group unfolds it, so it is never hidden.
      for (let d = slot.el.closest('details'); d; d = d.parentElement?.closest('details')) d.open = true;
    }
    return unplaced;
  }
}
