// The parts of the open message as the AI SDK's processUIMessageStream finds and updates them
// (internal to ui-messages.ts): the current step, a tool call's part, and the SDK's
// updateToolPart / updateDynamicToolPart, key for key.
import type { MessagesDraft } from './ui-messages-draft.js';
import type { JsonObject, ProviderMetadata, ToolUIPartState, UIMessagePart } from './ui-message.js';

export const isToolPart = (p: UIMessagePart): p is Extract<UIMessagePart, { toolCallId: string }> => p.type.startsWith('tool-') || p.type === 'dynamic-tool';
export const isStaticToolPart = (p: UIMessagePart): boolean => p.type.startsWith('tool-');
/** `tool-foo-bar` → `foo-bar`, as the SDK's getStaticToolName. */
export const staticToolName = (p: UIMessagePart): string => p.type.split('-').slice(1).join('-');

/** Index of the first part of the current step (after the last `step-start`). */
export function currentStepStart(parts: readonly UIMessagePart[]): number {
  let i = parts.length - 1;
  while (i >= 0 && parts[i]!.type !== 'step-start') i--;
  return i + 1;
}

/** The SDK's getToolInvocation: the first such tool in the current step, else the last one in the message. */
export function findToolInvocation(parts: readonly UIMessagePart[], toolCallId: string): number {
  for (let i = currentStepStart(parts); i < parts.length; i++) {
    const p = parts[i]!;
    if (isToolPart(p) && p.toolCallId === toolCallId) return i;
  }
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i]!;
    if (isToolPart(p) && p.toolCallId === toolCallId) return i;
  }
  return -1;
}

export function findInCurrentStep(parts: readonly UIMessagePart[], match: (p: UIMessagePart) => boolean): number {
  for (let i = currentStepStart(parts); i < parts.length; i++) if (match(parts[i]!)) return i;
  return -1;
}

/** Sets `key`, or deletes it for `undefined` (the SDK leaves the key with `undefined`, which JSON drops). */
export function put(target: object, key: string, value: unknown): void {
  if (value === undefined) delete (target as Record<string, unknown>)[key];
  else (target as Record<string, unknown>)[key] = value;
}

export function withoutUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value)) if ((value as Record<string, unknown>)[key] === undefined) delete (value as Record<string, unknown>)[key];
  return value;
}

export interface ToolUpdate {
  toolCallId: string;
  toolName: string;
  state: ToolUIPartState;
  input?: unknown;
  output?: unknown;
  errorText?: string | undefined;
  rawInput?: unknown;
  inputEncoding?: 'json' | 'text' | undefined;
  preliminary?: boolean | undefined;
  providerExecuted?: boolean | undefined;
  providerMetadata?: ProviderMetadata | undefined;
  title?: string | undefined;
  toolMetadata?: JsonObject | undefined;
}

const isResultState = (state: ToolUIPartState): boolean => state === 'output-available' || state === 'output-error';

/** The SDK's updateToolPart / updateDynamicToolPart: changes the tool's part in the current step, or appends one. */
export function updateTool(d: MessagesDraft, dynamic: boolean, u: ToolUpdate, existing?: number): void {
  const index = existing ?? findInCurrentStep(d.parts, (p) => (dynamic ? p.type === 'dynamic-tool' : isStaticToolPart(p)) && (p as { toolCallId?: string }).toolCallId === u.toolCallId);
  const metadataKey = isResultState(u.state) ? 'resultProviderMetadata' : 'callProviderMetadata';
  if (index === -1) {
    const common = {
      toolCallId: u.toolCallId,
      state: u.state,
      title: u.title,
      ...(u.toolMetadata !== undefined ? { toolMetadata: u.toolMetadata } : {}),
      input: u.input,
      ...(u.inputEncoding != null ? { inputEncoding: u.inputEncoding } : {}),
      output: u.output,
      errorText: u.errorText,
      providerExecuted: u.providerExecuted,
      preliminary: u.preliminary,
      ...(u.providerMetadata != null ? { [metadataKey]: u.providerMetadata } : {}),
    };
    // A dynamic part never carries rawInput when it is created (the SDK's updateDynamicToolPart).
    const part = dynamic ? { type: 'dynamic-tool' as const, toolName: u.toolName, ...common } : { type: `tool-${u.toolName}` as const, ...common, rawInput: u.rawInput };
    d.push(withoutUndefined(part) as UIMessagePart);
    return;
  }
  const part = d.part<Extract<UIMessagePart, { toolCallId: string }> & Record<string, unknown>>(index);
  part.state = u.state;
  if (dynamic) part['toolName'] = u.toolName;
  else part.type = `tool-${u.toolName}`;
  put(part, 'input', u.input);
  put(part, 'output', u.output);
  put(part, 'errorText', u.errorText);
  put(part, 'rawInput', u.rawInput);
  put(part, 'inputEncoding', u.inputEncoding ?? undefined);
  put(part, 'preliminary', u.preliminary);
  if (u.title !== undefined) part.title = u.title;
  if (u.toolMetadata !== undefined) part.toolMetadata = u.toolMetadata;
  put(part, 'providerExecuted', u.providerExecuted ?? part.providerExecuted);
  if (u.providerMetadata != null) part[metadataKey] = u.providerMetadata;
}
