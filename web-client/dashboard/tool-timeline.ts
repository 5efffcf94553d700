// The tool-call timeline: one entry per tool call in first-seen order, its state in colour,
// input and output as collapsible pretty JSON; a call refused at approval reads as denied, not
// as a failure. Entries are patched in place, so a section
// the user opened stays open while the build streams; a tool is re-rendered only when the
// reducer gave it a new object (the state is copy-on-write).
import type { Tool, ToolState } from '../../protocol/build-state.js';
import { h, setAttr, setText } from './dom.js';
import { prettyJson } from './format.js';

const STATE_LABELS: Record<ToolState, string> = {
  'input-streaming': 'preparing',
  'input-available': 'running',
  'approval-requested': 'waiting for approval',
  'approval-responded': 'approved',
  'output-available': 'done',
  'output-denied': 'denied',
  error: 'error',
};

interface Entry {
  tool: Tool;
  readonly el: HTMLLIElement;
  readonly name: HTMLElement;
  readonly badge: HTMLElement;
  readonly note: HTMLElement;
  readonly input: HTMLPreElement;
  readonly inputSummary: HTMLElement;
  readonly output: HTMLPreElement;
  readonly outputBlock: HTMLDetailsElement;
  readonly outputSummary: HTMLElement;
}

export class ToolTimeline {
  readonly el: HTMLElement;
  readonly #list: HTMLOListElement;
  readonly #empty: HTMLElement;
  readonly #entries = new Map<string, Entry>();
  #tools: readonly Tool[] | undefined;

  constructor() {
    this.#list = h('ol', { class: 'tools' });
    this.#empty = h('p', { class: 'empty' }, 'No tool calls yet.');
    this.el = h('section', { class: 'panel', attrs: { 'aria-labelledby': 'tools-title' } }, h('h2', { attrs: { id: 'tools-title' } }, 'Tool calls'), this.#empty, this.#list);
  }

  render(tools: readonly Tool[]): void {
    if (tools === this.#tools) return;
    this.#tools = tools;
    this.#empty.hidden = tools.length > 0;
    for (let i = 0; i < tools.length; i++) {
      const tool = tools[i]!;
      const entry = this.#entries.get(tool.toolCallId);
      if (entry === undefined) {
        const created = createEntry(tool, i + 1);
        this.#entries.set(tool.toolCallId, created);
        this.#list.appendChild(created.el);
        update(created);
      } else if (entry.tool !== tool) {
        entry.tool = tool;
        update(entry);
      }
    }
  }
}

function createEntry(tool: Tool, index: number): Entry {
  const name = h('span', { class: 'tool-name' });
  const badge = h('span', { class: 'badge' });
  const inputSummary = h('summary', null, 'Input');
  const input = h('pre', { class: 'json' });
  const outputSummary = h('summary', null, 'Output');
  const output = h('pre', { class: 'json' });
  const outputBlock = h('details', { class: 'io' }, outputSummary, output);
  const note = h('p', { class: 'tool-note' });
  const el = h(
    'li',
    { class: 'tool', attrs: { 'data-tool-call-id': tool.toolCallId } },
    h('div', { class: 'tool-head' }, h('span', { class: 'tool-index' }, `#${index}`), name, badge, h('code', { class: 'tool-id' }, tool.toolCallId)),
    note,
    h('details', { class: 'io' }, inputSummary, input),
    outputBlock,
  );
  return { tool, el, name, badge, note, input, inputSummary, output, outputBlock, outputSummary };
}

/** The badge: an answered approval says how it was answered. */
function label(tool: Tool): string {
  if (tool.state === 'approval-responded') return tool.approval?.approved === false ? 'denied' : 'approved';
  return STATE_LABELS[tool.state];
}

/** One line on the call's approval: who decided, and why. */
function approvalNote(tool: Tool): string {
  const approval = tool.approval;
  if (approval === null) return '';
  const why = approval.reason ? `: ${approval.reason}` : '';
  if (approval.approved === null) return tool.state === 'approval-requested' ? `Waiting for a person to approve this call${why}` : '';
  const by = approval.automatic ? ' by a rule' : '';
  return `${approval.approved ? 'Approved' : 'Denied'}${by}${why}`;
}

function update(entry: Entry): void {
  const { tool } = entry;
  setText(entry.name, tool.toolName || '(unnamed tool)');
  setText(entry.badge, label(tool));
  setAttr(entry.el, 'data-state', tool.state);
  setAttr(entry.badge, 'data-state', tool.state === 'approval-responded' && tool.approval?.approved === false ? 'output-denied' : tool.state);
  const note = approvalNote(tool);
  setText(entry.note, note);
  entry.note.hidden = note === '';
  setAttr(entry.note, 'data-approved', tool.approval?.approved === undefined || tool.approval.approved === null ? undefined : String(tool.approval.approved));
  // Until the input is complete, show the streamed input text as it grows.
  const hasInput = tool.state !== 'input-streaming' && tool.input !== null;
  setText(entry.input, hasInput ? prettyJson(tool.input) : tool.inputText || '(no input yet)');
  setText(entry.inputSummary, hasInput ? 'Input' : 'Input (streaming)');
  if (tool.state === 'error') {
    setText(entry.outputSummary, 'Error');
    setText(entry.output, tool.errorText ?? '');
    if (!entry.outputBlock.classList.contains('is-error')) entry.outputBlock.open = true; // a failure is shown, not hidden
    entry.outputBlock.classList.add('is-error');
    entry.outputBlock.hidden = false;
  } else if (tool.state === 'output-denied') {
    // Not a failure: the call never ran. The note above says who refused it and why.
    entry.outputBlock.classList.remove('is-error');
    entry.outputBlock.hidden = true;
  } else {
    setText(entry.outputSummary, 'Output');
    entry.outputBlock.classList.remove('is-error');
    entry.outputBlock.hidden = tool.state !== 'output-available';
    setText(entry.output, tool.state === 'output-available' ? prettyJson(tool.output) : '');
  }
}
