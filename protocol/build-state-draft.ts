// Copy-on-write working copy of a BuildState for one reduceEvents call (internal to
// build-state.ts; not part of the protocol's public API).
import type { BuildErrorEntry, BuildState, FileEntry, LogLine, LogSection, PendingApproval, SourceEntry, Tool } from './build-state.js';

/** Lines kept in `logs.tail`. */
export const LOG_TAIL_LINES = 500;

/** The last step section's index per sections array: derivable, so kept outside the state. */
const STEP_INDEX = new WeakMap<readonly LogSection[], number>();

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
  #ownSections = false;
  /** Section objects created or copied by this call, safe to update in place. */
  readonly #ownSectionObjects = new Set<LogSection>();
  /** See #openStepIndex; undefined until looked up. */
  #stepIndex: number | undefined;
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

  /** Line `count + 1`; `toolCallId` ties it to a tool call's run of lines (PROTOCOL §Log lines). */
  pushLog(line: LogLine, toolCallId: string | null = null): void {
    const logs = this.#s.logs;
    const n = logs.count + 1;
    if (line.stream === 'stderr') logs.firstStderr ??= n;
    const last = logs.sections.at(-1);
    if (toolCallId === null) {
      if (last?.kind === 'tool' && last.open) this.#lastSection().open = false;
    } else if (last?.kind === 'tool' && last.open && last.id === toolCallId) {
      // the run goes on: the loop below extends it
    } else {
      if (last?.kind === 'tool' && last.open) this.#lastSection().open = false;
      this.#pushSection({ kind: 'tool', id: toolCallId, from: n, to: n - 1, open: true, firstStderr: null });
    }
    // The line belongs to every open section: the tool run (last) and the step around it.
    for (const i of [this.#openStepIndex(), logs.sections.length - 1]) {
      const section = logs.sections[i];
      if (section === undefined || !section.open || (i !== logs.sections.length - 1 && section.kind !== 'step')) continue;
      if (section.to === n) continue; // the step is also the last section
      const own = this.#ownSection(i);
      own.to = n;
      if (line.stream === 'stderr') own.firstStderr ??= n;
    }
    if (!this.#ownTail) {
      this.#s.logs.tail = this.#s.logs.tail.slice(-LOG_TAIL_LINES);
      this.#ownTail = true;
    }
    const tail = this.#s.logs.tail;
    tail.push(line);
    // Trim in amortised O(1): let the tail grow to twice the limit, then cut; finish() trims the rest.
    if (tail.length >= 2 * LOG_TAIL_LINES) tail.splice(0, tail.length - LOG_TAIL_LINES);
    logs.count = n;
  }

  /** `start-step`: closes whatever is open and opens step `id` at the next line. */
  startStep(id: string): void {
    this.finishStep();
    const n = this.#s.logs.count + 1;
    this.#pushSection({ kind: 'step', id, from: n, to: n - 1, open: true, firstStderr: null });
    this.#stepIndex = this.#s.logs.sections.length - 1;
  }

  /** `finish-step`: closes the open tool run and step; a step without lines leaves no section. */
  finishStep(): void {
    const sections = this.#s.logs.sections;
    for (const i of [this.#openStepIndex(), sections.length - 1]) {
      if (sections[i]?.open) this.#ownSection(i).open = false;
    }
    const last = sections.at(-1);
    if (last?.kind === 'step' && last.to < last.from) {
      this.#sections().pop();
      this.#stepIndex = undefined;
    }
  }

  /**
   * The index of the last step section (-1: none). Only it can be open, and only tool runs
   * follow it; remembered per sections array so that live folds, one event a call, do not scan.
   */
  #openStepIndex(): number {
    if (this.#stepIndex === undefined) {
      const sections = this.#s.logs.sections;
      this.#stepIndex = STEP_INDEX.get(sections) ?? -1;
      if (!STEP_INDEX.has(sections)) for (let i = sections.length - 1; i >= 0; i--) if (sections[i]!.kind === 'step') {
        this.#stepIndex = i;
        break;
      }
    }
    return this.#stepIndex;
  }

  #sections(): LogSection[] {
    if (!this.#ownSections) {
      this.#s.logs.sections = this.#s.logs.sections.slice();
      this.#ownSections = true;
    }
    return this.#s.logs.sections;
  }

  #pushSection(section: LogSection): void {
    this.#sections().push(section);
    this.#ownSectionObjects.add(section);
  }

  #ownSection(i: number): LogSection {
    const sections = this.#sections();
    let section = sections[i]!;
    if (!this.#ownSectionObjects.has(section)) {
      section = { ...section };
      sections[i] = section;
      this.#ownSectionObjects.add(section);
    }
    return section;
  }

  #lastSection(): LogSection {
    return this.#ownSection(this.#s.logs.sections.length - 1);
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
    if (this.#stepIndex !== undefined) STEP_INDEX.set(this.#s.logs.sections, this.#stepIndex);
    const tail = this.#s.logs.tail;
    if (tail.length > LOG_TAIL_LINES) tail.splice(0, tail.length - LOG_TAIL_LINES);
    return this.#s;
  }
}
