// The BuildState meaning of the AI SDK 7.x chunk types beyond texts, tool inputs and outputs
// (PROTOCOL §Event vocabulary): approvals, denials, sources and files — what a watcher must see
// or act on. Shapes are judged by the SDK's own chunk schema (ui-chunk.ts); a chunk that names
// a tool call or approval the build never had is malformed, as the SDK refuses it.
import type { Draft, Effect, Parser } from './build-state-draft.js';
import type { Tool, ToolState } from './build-state.js';
import { field, readUIChunk, type UIChunk } from './ui-chunk.js';

/** The chunk types this module gives a meaning to, plus `tool-input-end` (a stream part, not a UI chunk). */
export const AGENT_EVENT_TYPES = [
  'tool-input-end', 'tool-approval-request', 'tool-approval-response', 'tool-output-denied',
  'source-url', 'source-document', 'file', 'reasoning-file',
  'message-metadata', 'reset-step', 'steering-message', 'custom',
] as const;

/** A parser over the SDK's shape of `type`: undefined (malformed) unless the chunk is one the schema accepts. */
function chunkParser(type: string, effect: (chunk: UIChunk) => Effect): [string, Parser] {
  return [type, (data) => {
    const chunk = readUIChunk(type, data);
    return chunk === undefined ? undefined : effect(chunk);
  }];
}

/** Applies `update` to the named tool call, or counts the event as malformed when there is none. */
function onTool(d: Draft, toolCallId: string, update: (tool: Tool) => void): void {
  if (!d.hasTool(toolCallId)) {
    d.malformed();
    return;
  }
  const tool = d.tool(toolCallId, undefined);
  update(tool);
  d.settleApproval(tool);
}

const nothing: Effect = () => {};

/** A `data:` URL carries the file itself (often large): it stays in the log and the messages, not in the state. */
const linkable = (url: string): string | null => (/^data:/i.test(url) ? null : url);

export const AGENT_PARSERS: ReadonlyArray<[string, Parser]> = [
  // Not a UI message chunk in 7.x (toUIMessageStream drops the stream part): the input is
  // complete, and tool-input-available carries it. Counted; malformed for an unknown call.
  ['tool-input-end', (data) => {
    const toolCallId = typeof data === 'object' && data !== null && !Array.isArray(data) && Object.hasOwn(data, 'toolCallId') ? (data as { toolCallId: unknown }).toolCallId : undefined;
    if (typeof toolCallId !== 'string') return undefined;
    return (d) => onTool(d, toolCallId, () => {});
  }],
  chunkParser('tool-approval-request', (c) => (d, seq, at) => {
    onTool(d, field.str(c, 'toolCallId'), (tool) => {
      tool.state = 'approval-requested';
      tool.approval = { id: field.str(c, 'approvalId'), approved: null, reason: field.optStr(c, 'reason') ?? null, automatic: c['isAutomatic'] === true };
      d.requestApproval({ approvalId: field.str(c, 'approvalId'), toolCallId: tool.toolCallId, toolName: tool.toolName, input: tool.input, seq, requestedAt: at });
    });
  }),
  chunkParser('tool-approval-response', (c) => (d) => {
    const toolCallId = d.toolOfApproval(field.str(c, 'approvalId'));
    if (toolCallId === undefined) {
      d.malformed();
      return;
    }
    onTool(d, toolCallId, (tool) => {
      tool.state = 'approval-responded';
      const reason = field.optStr(c, 'reason');
      tool.approval = { ...tool.approval!, approved: c['approved'] === true, reason: reason ?? tool.approval!.reason };
    });
  }),
  chunkParser('tool-output-denied', (c) => (d) => {
    onTool(d, field.str(c, 'toolCallId'), (tool) => {
      tool.state = 'output-denied' satisfies ToolState;
      if (tool.approval !== null && tool.approval.approved === null) tool.approval = { ...tool.approval, approved: false };
    });
  }),
  chunkParser('source-url', (c) => (d, seq) => {
    d.pushSource({ seq, sourceId: field.str(c, 'sourceId'), kind: 'url', url: field.str(c, 'url'), title: field.optStr(c, 'title') ?? null, mediaType: null, filename: null });
  }),
  chunkParser('source-document', (c) => (d, seq) => {
    d.pushSource({
      seq, sourceId: field.str(c, 'sourceId'), kind: 'document', url: null, title: field.str(c, 'title'),
      mediaType: field.str(c, 'mediaType'), filename: field.optStr(c, 'filename') ?? null,
    });
  }),
  ...(['file', 'reasoning-file'] as const).map((type) =>
    chunkParser(type, (c) => (d, seq) => {
      // The SDK's file chunk has no filename; a runner that knows one may send it (any string).
      const filename = typeof c['filename'] === 'string' ? c['filename'] : null;
      d.pushFile({ seq, mediaType: field.str(c, 'mediaType'), url: linkable(field.str(c, 'url')), filename, reasoning: type === 'reasoning-file' });
    }),
  ),
  // These shape only the UIMessages (PROTOCOL §UI messages); the state counts them.
  chunkParser('message-metadata', () => nothing),
  chunkParser('reset-step', () => nothing),
  chunkParser('steering-message', () => nothing),
  chunkParser('custom', () => nothing),
];
