// Copy-on-write working copy of a MessagesState for one reduceMessages call (internal to
// ui-messages.ts). Only the last message ever changes, so a call copies the message list, the
// last message, its parts array and each part it touches once, then updates them in place.
import type { MessageStream, MessagesState, ToolInputStream } from './ui-messages.js';
import type { UIMessage, UIMessagePart } from './ui-message.js';

type Dict<T> = Record<string, T>;

function dict<T>(): Dict<T> {
  return Object.create(null) as Dict<T>;
}

/** Into a null-prototype object: ids such as "__proto__" stay ordinary keys (a snapshot read from JSON may hold them). */
function copyDict<T>(source: Dict<T>): Dict<T> {
  return Object.assign(dict<T>(), source);
}

export function emptyStream(): MessageStream {
  return { texts: dict(), reasoning: dict(), toolInputs: dict() };
}

export class MessagesDraft {
  #messages: UIMessage[];
  #ownMessages = false;
  #ownLast = false;
  readonly #ownParts = new Set<UIMessagePart>();
  #stream: MessageStream | null;
  #ownStream = false;
  #malformed: number;

  constructor(base: MessagesState) {
    this.#messages = base.messages as UIMessage[];
    this.#stream = base.stream;
    this.#malformed = base.malformed;
  }

  malformed(): void {
    this.#malformed += 1;
  }

  /** The open message's bookkeeping, read-only; null before the first message. */
  get stream(): MessageStream | null {
    return this.#stream;
  }

  /** The open message, read-only; undefined before the first message. */
  get last(): UIMessage | undefined {
    return this.#stream === null ? undefined : this.#messages[this.#messages.length - 1];
  }

  /** The open message's parts, read-only. */
  get parts(): readonly UIMessagePart[] {
    return this.last?.parts ?? [];
  }

  /** Begins a new message; `stream` is its bookkeeping (fresh, or rebuilt for a continuation). */
  begin(message: UIMessage): void {
    this.#ownMessagesList();
    this.#messages.push(message);
    this.#ownLast = true;
    this.#stream = emptyStream();
    this.#ownStream = true;
  }

  /** A message for chunks that arrive before any `start` (readUIMessageStream's message without a start: id ""). */
  ensureOpen(): void {
    if (this.#stream === null) this.begin({ id: '', role: 'assistant', parts: [] });
  }

  /** The open message, writable (not its parts: use part()/push()/splice()). */
  message(): UIMessage {
    this.ensureOpen();
    if (!this.#ownLast) {
      this.#ownMessagesList();
      const i = this.#messages.length - 1;
      this.#messages[i] = { ...this.#messages[i]!, parts: this.#messages[i]!.parts.slice() };
      this.#ownLast = true;
    }
    return this.#messages[this.#messages.length - 1]!;
  }

  /** Part `i` of the open message, writable. */
  part<P = UIMessagePart>(i: number): P {
    const parts = this.message().parts;
    let part = parts[i]!;
    if (!this.#ownParts.has(part)) {
      part = { ...part };
      parts[i] = part;
      this.#ownParts.add(part);
    }
    return part as unknown as P;
  }

  /** Appends a part this call made; returns its index. */
  push(part: UIMessagePart): number {
    const parts = this.message().parts;
    this.#ownParts.add(part);
    return parts.push(part) - 1;
  }

  /** Removes the open message's parts from index `from` on. */
  truncate(from: number): void {
    this.message().parts.splice(from);
  }

  /** The open message's bookkeeping, writable (its dictionaries are this call's own). */
  writableStream(): MessageStream {
    this.ensureOpen();
    if (!this.#ownStream) {
      const s = this.#stream!;
      this.#stream = { texts: copyDict(s.texts), reasoning: copyDict(s.reasoning), toolInputs: copyDict(s.toolInputs) };
      this.#ownStream = true;
    }
    return this.#stream!;
  }

  setStream(stream: MessageStream): void {
    this.#stream = stream;
    this.#ownStream = true;
  }

  setToolInput(toolCallId: string, input: ToolInputStream): void {
    this.writableStream().toolInputs[toolCallId] = input;
  }

  finish(): MessagesState {
    return { messages: this.#messages, stream: this.#stream, malformed: this.#malformed };
  }

  #ownMessagesList(): void {
    if (!this.#ownMessages) {
      this.#messages = this.#messages.slice();
      this.#ownMessages = true;
    }
  }
}
