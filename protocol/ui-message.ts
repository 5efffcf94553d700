// The AI SDK's `UIMessage` and its parts as plain types (PROTOCOL §UI messages), declared here
// so that no runlog package needs the `ai` package to read or serve them. They follow AI SDK
// 7.x's `UIMessage` field for field, but loosely: the SDK types a tool part as a union by
// `state`, these as one shape. An app that wants the SDK's exact types names them
// (`useBuild<MyUIMessage>(…)`); the values are what `readUIMessageStream` builds either way.

/** JSON object, as the SDK's `providerMetadata` / `toolMetadata` values. */
export type JsonObject = { [key: string]: unknown };
export type ProviderMetadata = Record<string, JsonObject>;

export interface UICitation {
  source: JsonObject;
  startIndex?: number;
  endIndex?: number;
  citedText?: string;
}

export interface TextUIPart {
  type: 'text';
  text: string;
  state?: 'streaming' | 'done';
  citations?: UICitation[];
  providerMetadata?: ProviderMetadata;
}

export interface ReasoningUIPart {
  type: 'reasoning';
  id?: string;
  text: string;
  state?: 'streaming' | 'done';
  providerMetadata?: ProviderMetadata;
}

export interface CustomContentUIPart {
  type: 'custom';
  kind: `${string}.${string}`;
  providerMetadata?: ProviderMetadata;
}

export interface SourceUrlUIPart {
  type: 'source-url';
  sourceId: string;
  url: string;
  title?: string;
  providerMetadata?: ProviderMetadata;
}

export interface SourceDocumentUIPart {
  type: 'source-document';
  sourceId: string;
  mediaType: string;
  title: string;
  filename?: string;
  providerMetadata?: ProviderMetadata;
}

export interface FileUIPart {
  type: 'file';
  mediaType: string;
  url: string;
  filename?: string;
  providerReference?: Record<string, string>;
  providerMetadata?: ProviderMetadata;
}

export interface ReasoningFileUIPart {
  type: 'reasoning-file';
  mediaType: string;
  url: string;
  providerMetadata?: ProviderMetadata;
}

export interface SteeringMessageUIPart {
  type: 'steering-message';
  id: string;
  parts: Array<TextUIPart | FileUIPart>;
}

export interface StepStartUIPart {
  type: 'step-start';
}

export interface DataUIPart {
  type: `data-${string}`;
  id?: string;
  data: unknown;
}

export type ToolUIPartState = 'input-streaming' | 'input-available' | 'approval-requested' | 'approval-responded' | 'output-available' | 'output-error' | 'output-denied';

export interface ToolApprovalUI {
  id: string;
  approved?: boolean;
  descriptor?: unknown;
  requestReason?: string;
  reason?: string;
  isAutomatic?: boolean;
  signature?: string;
  inputSchemaInput?: unknown;
}

/** Fields a static (`tool-<name>`) and a dynamic tool part share. */
interface ToolInvocationUI {
  toolCallId: string;
  state: ToolUIPartState;
  title?: string;
  toolMetadata?: JsonObject;
  providerExecuted?: boolean;
  input?: unknown;
  output?: unknown;
  errorText?: string;
  rawInput?: unknown;
  inputEncoding?: 'json' | 'text';
  preliminary?: boolean;
  callProviderMetadata?: ProviderMetadata;
  resultProviderMetadata?: ProviderMetadata;
  approval?: ToolApprovalUI;
}

export interface ToolUIPart extends ToolInvocationUI {
  type: `tool-${string}`;
}

export interface DynamicToolUIPart extends ToolInvocationUI {
  type: 'dynamic-tool';
  toolName: string;
  dynamic?: false;
}

export type UIMessagePart =
  | TextUIPart
  | ReasoningUIPart
  | CustomContentUIPart
  | SourceUrlUIPart
  | SourceDocumentUIPart
  | FileUIPart
  | ReasoningFileUIPart
  | SteeringMessageUIPart
  | StepStartUIPart
  | DataUIPart
  | ToolUIPart
  | DynamicToolUIPart;

export interface UIMessage {
  id: string;
  role: 'system' | 'user' | 'assistant';
  metadata?: unknown;
  parts: UIMessagePart[];
}
