// The tool-call timeline: one entry per tool call in first-seen order, its state in colour,
// input and output as collapsible pretty JSON. Entries are patched in place, so a section
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
  const el = h(
    'li',
    { class: 'tool', attrs: { 'data-tool-call-id': tool.toolCallId } },
    h('div', { class: 'tool-head' }, h('span', { class: 'tool-index' }, `#${index}`), name, badge, h('code', { class: 'tool-id' }, tool.toolCallId)),
    h('details', { class: 'io' }, inputSummary, input),
    outputBlock,
  );
  return { tool, el, name, badge, input, inputSummary, output, outputBlock, outputSummary };
}

function update(entry: Entry): void {
  const { tool } = entry;
  setText(entry.name, tool.toolName || '(unnamed tool)');
  setText(entry.badge, STATE_LABELS[tool.state]);
  setAttr(entry.el, 'data-state', tool.state);
  setAttr(entry.badge, 'data-state', tool.state);
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
  } else {
    setText(entry.outputSummary, 'Output');
    entry.outputBlock.classList.remove('is-error');
    entry.outputBlock.hidden = tool.state !== 'output-available';
    setText(entry.output, tool.state === 'output-available' ? prettyJson(tool.output) : '');
  }
}
