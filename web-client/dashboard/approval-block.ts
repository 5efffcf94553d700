// The one moment a watcher must act: tool calls waiting for a person's approval, shown at the
// top of the build page — "waiting for approval: deploy {"env":"prod"}" — with how long each
// has waited. It disappears when the build records the answer (or the tool's output).
import type { PendingApproval } from '../../protocol/build-state.js';
import { h, replaceChildren, setText } from './dom.js';
import { formatAge, formatClock } from './format.js';

/** Characters of the input shown on the one line; the rest is cut with an ellipsis. */
const INPUT_CHARS = 160;

function oneLineJson(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > INPUT_CHARS ? `${text.slice(0, INPUT_CHARS - 1)}…` : text;
}

export class ApprovalBlock {
  readonly el: HTMLElement;
  readonly #list: HTMLUListElement;
  readonly #title: HTMLElement;
  readonly #ages = new Map<HTMLElement, string | null>();
  #approvals: readonly PendingApproval[] | undefined;

  constructor() {
    this.#list = h('ul', { class: 'approval-list' });
    this.#title = h('h2', { attrs: { id: 'approvals-title' } }, 'Approval needed');
    this.el = h('section', { class: 'approvals', attrs: { 'aria-labelledby': 'approvals-title', role: 'status', 'data-testid': 'approvals' } }, this.#title, this.#list);
    this.el.hidden = true;
  }

  render(approvals: readonly PendingApproval[]): void {
    if (approvals === this.#approvals) return;
    this.#approvals = approvals;
    this.el.hidden = approvals.length === 0;
    setText(this.#title, approvals.length > 1 ? `Approval needed for ${approvals.length} tool calls` : 'Approval needed');
    this.#ages.clear();
    replaceChildren(this.#list, ...approvals.map((a) => this.#item(a)));
    this.tick();
  }

  #item(approval: PendingApproval): HTMLElement {
    const age = h('span', { class: 'approval-age', attrs: { 'data-testid': 'approval-age' } });
    this.#ages.set(age, approval.requestedAt);
    return h(
      'li',
      { class: 'approval', attrs: { 'data-approval-id': approval.approvalId, 'data-tool-call-id': approval.toolCallId } },
      h(
        'p',
        { class: 'approval-line' },
        h('span', { class: 'approval-label' }, 'waiting for approval: '),
        h('code', { class: 'approval-tool' }, approval.toolName || '(unnamed tool)'),
        ' ',
        h('code', { class: 'approval-input' }, oneLineJson(approval.input)),
      ),
      h(
        'p',
        { class: 'approval-meta' },
        'waiting ',
        age,
        h('span', { class: 'muted' }, ` · since ${formatClock(approval.requestedAt)} · approval `),
        h('code', { class: 'muted' }, approval.approvalId),
      ),
    );
  }

  /** Moves the ages on. */
  tick(now = Date.now()): void {
    for (const [el, at] of this.#ages) setText(el, formatAge(at, now));
  }
}
