// Copy-on-write working copy of a BuildState for one reduceEvents call (internal to
// build-state.ts; not part of the protocol's public API).
import type { BuildErrorEntry, BuildState, FileEntry, LogLine, PendingApproval, SourceEntry, Tool } from './build-state.js';

/** Lines kept in `logs.tail`. */
export const LOG_TAIL_LINES = 500;

/** Tool lookups per reduceEvents call answered by a linear scan before an index is built. */
const TOOL_SCAN_LOOKUPS = 8;

export type Dict<T> = Record<string, T>;

/** Applies one well-formed event to the draft. */
export type Effect = (draft: Draft, seq: number, at: string | null) => void;
/** Reads `data`; undefined means malformed. */
export type Parser = (data: unknown) => Effect | undefined;

export function dict<T>(): Dict<T> {
  return Object.create(null) as Dict<T>;
}

/** Copies into a null-prototype object; Object.assign [[Set]]s onto a target without a `__proto__` setter. */
function copyDict<T>(source: Dict<T>): Dict<T> {
  return Object.assign(dict<T>(), source);
}

/** The working copy of one reduceEvents call. `#own*` flags say which parts it already copied. */
export class Draft {
  readonly #s: BuildState;
  #ownTools = false;
  #ownTexts = false;
  #ownReasoning = false;
  #ownData = false;
  #ownTail = false;
  #ownErrors = false;
  #ownApprovals = false;
  #ownSources = false;
  #ownFiles = false;
  /** Tool objects created by this call, safe to update in place. */
  readonly #ownToolObjects = new Set<Tool>();
  /** toolCallId → index in tools; built only once this call has looked up many tools. */
  #toolIndex: Map<string, number> | undefined;
  #toolLookups = 0;

  constructor(base: BuildState) {
    // counts (and byType) change on every event, logs is two fields: copy them up front.
    this.#s = {
      ...base,
      logs: { ...base.logs },
      counts: { ...base.counts, byType: copyDict(base.counts.byType) },
    };
  }

  get state(): BuildState {
    return this.#s;
  }

  /** Counts one event of `type`: every event is counted, whatever its data. */
  count(type: string): void {
    const counts = this.#s.counts;
    counts.events += 1;
    counts.byType[type] = (Object.hasOwn(counts.byType, type) ? (counts.byType[type] ?? 0) : 0) + 1;
  }

  malformed(): void {
    this.#s.counts.malformed += 1;
  }

  texts(kind: 'texts' | 'reasoning'): Dict<string> {
    if (kind === 'texts' && !this.#ownTexts) {
      this.#s.texts = copyDict(this.#s.texts);
      this.#ownTexts = true;
    } else if (kind === 'reasoning' && !this.#ownReasoning) {
      this.#s.reasoning = copyDict(this.#s.reasoning);
      this.#ownReasoning = true;
    }
    return this.#s[kind];
  }

  data(): Dict<unknown> {
    if (!this.#ownData) {
      this.#s.data = copyDict(this.#s.data);
      this.#ownData = true;
    }
    return this.#s.data;
  }

  pushLog(line: LogLine): void {
    if (!this.#ownTail) {
      this.#s.logs.tail = this.#s.logs.tail.slice(-LOG_TAIL_LINES);
      this.#ownTail = true;
    }
    const tail = this.#s.logs.tail;
    tail.push(line);
    // Trim in amortised O(1): let the tail grow to twice the limit, then cut; finish() trims the rest.
    if (tail.length >= 2 * LOG_TAIL_LINES) tail.splice(0, tail.length - LOG_TAIL_LINES);
    this.#s.logs.count += 1;
  }

  pushError(entry: BuildErrorEntry): void {
    if (!this.#ownErrors) {
      this.#s.errors = this.#s.errors.slice();
      this.#ownErrors = true;
    }
    this.#s.errors.push(entry);
  }

  pushSource(entry: SourceEntry): void {
    if (!this.#ownSources) {
      this.#s.sources = this.#s.sources.slice();
      this.#ownSources = true;
    }
    this.#s.sources.push(entry);
  }

  pushFile(entry: FileEntry): void {
    if (!this.#ownFiles) {
      this.#s.files = this.#s.files.slice();
      this.#ownFiles = true;
    }
    this.#s.files.push(entry);
  }

  /** Records a tool call waiting for approval, replacing an earlier request of the same call. */
  requestApproval(entry: PendingApproval): void {
    this.#approvals().splice(0, Infinity, ...this.#s.approvals.filter((a) => a.toolCallId !== entry.toolCallId), entry);
  }

  /** After a tool changed: it waits for approval only in `approval-requested`. */
  settleApproval(tool: Tool): void {
    if (tool.state === 'approval-requested' || !this.#s.approvals.some((a) => a.toolCallId === tool.toolCallId)) return;
    const rest = this.#s.approvals.filter((a) => a.toolCallId !== tool.toolCallId);
    this.#approvals().splice(0, Infinity, ...rest);
  }

  #approvals(): PendingApproval[] {
    if (!this.#ownApprovals) {
      this.#s.approvals = this.#s.approvals.slice();
      this.#ownApprovals = true;
    }
    return this.#s.approvals;
  }

  hasTool(toolCallId: string): boolean {
    return this.#findTool(toolCallId) !== -1;
  }

  /** The toolCallId of the tool whose approval has this id (the latest such), or undefined. */
  toolOfApproval(approvalId: string): string | undefined {
    const tools = this.#s.tools;
    for (let i = tools.length - 1; i >= 0; i--) if (tools[i]?.approval?.id === approvalId) return tools[i]!.toolCallId;
    return undefined;
  }

  /** The tool with this id, created (in first-seen order) if new; the returned object is this call's own. */
  tool(toolCallId: string, toolName: string | undefined): Tool {
    if (!this.#ownTools) {
      this.#s.tools = this.#s.tools.slice();
      this.#ownTools = true;
    }
    const tools = this.#s.tools;
    const i = this.#findTool(toolCallId);
    let tool = i === -1 ? undefined : tools[i];
    if (tool === undefined) {
      tool = { toolCallId, toolName: '', state: 'input-streaming', inputText: '', input: null, output: null, errorText: null, approval: null };
      this.#toolIndex?.set(toolCallId, tools.length);
      tools.push(tool);
      this.#ownToolObjects.add(tool);
    } else if (!this.#ownToolObjects.has(tool)) {
      tool = { ...tool };
      tools[i] = tool;
      this.#ownToolObjects.add(tool);
    }
    if (toolName !== undefined) tool.toolName = toolName;
    return tool;
  }

  #findTool(toolCallId: string): number {
    const tools = this.#s.tools;
    // A single event (live updates) scans backwards, since the tool being touched is
    // nearly always a recent one and the call copies the tools array anyway; a bulk fold
    // builds the index once so it stays linear in the number of events.
    if (this.#toolIndex === undefined && ++this.#toolLookups > TOOL_SCAN_LOOKUPS) {
      this.#toolIndex = new Map(tools.map((t, i) => [t.toolCallId, i]));
    }
    if (this.#toolIndex !== undefined) return this.#toolIndex.get(toolCallId) ?? -1;
    for (let i = tools.length - 1; i >= 0; i--) if (tools[i]?.toolCallId === toolCallId) return i;
    return -1;
  }

  finish(): BuildState {
    const tail = this.#s.logs.tail;
    if (tail.length > LOG_TAIL_LINES) tail.splice(0, tail.length - LOG_TAIL_LINES);
    return this.#s;
  }
}
