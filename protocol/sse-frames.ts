// The Server-Sent Events framing PROTOCOL §SSE uses, both ways: the server writes frames with
// `formatSseFrame`, and every Node-side reader (the runner's `tail`, the tests) splits bytes
// back into frames with `SseFrameParser`. Browsers use their own EventSource.

/** One frame; a frame holding only a comment (`: ping`) has just `comment`. */
export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  retry?: number;
  comment?: string;
}

/**
 * The named event that carries a runner's presence (PROTOCOL §Runner presence) on a build's
 * stream and on the live build list. It has no `id:`, so it never moves a reader's Last-Event-ID.
 */
export const SSE_RUNNER_EVENT = 'runner';

/** The keep-alive comment sent when a stream has been idle (PROTOCOL §SSE). */
export const SSE_PING_FRAME = ': ping\n\n';

/** The event name of the ping frame; its data is `{"intervalMs": n}` (PROTOCOL §SSE rule 3). */
export const SSE_PING_EVENT = 'ping';

/**
 * The keep-alive, sent once when a stream opens and again after each idle interval. It is a
 * `: ping` comment (what proxies and curl see) and a `ping` event naming the interval — an
 * event because a browser's EventSource hides comments, and a reader can only notice a
 * connection that died silently if it sees the pings and knows how often they come.
 */
export function ssePingFrame(intervalMs: number): string {
  return `: ping\nevent: ${SSE_PING_EVENT}\ndata: {"intervalMs":${intervalMs}}\n\n`;
}

/** The interval a ping frame's data announces, or undefined when it is not one. */
export function pingIntervalOf(data: string | undefined): number | undefined {
  if (data === undefined) return undefined;
  try {
    const value = (JSON.parse(data) as { intervalMs?: unknown }).intervalMs;
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How long a reader waits with nothing at all arriving — no event, no ping — before it calls
 * the connection dead, closes it and resumes on a new one: two ping intervals.
 */
export function deadStreamAfterMs(pingIntervalMs: number): number {
  return 2 * pingIntervalMs;
}

export function formatSseFrame(frame: { readonly data: string; readonly id?: number; readonly event?: string }): string {
  let text = '';
  if (frame.event !== undefined) text += `event: ${frame.event}\n`;
  if (frame.id !== undefined) text += `id: ${frame.id}\n`;
  return `${text}data: ${frame.data}\n\n`;
}

/** Splits SSE text into frames as it arrives; keeps an incomplete tail (a cut mid-frame) out. */
export class SseFrameParser {
  #buffer = '';

  push(text: string): SseFrame[] {
    this.#buffer += text.replace(/\r\n?/g, '\n');
    const frames: SseFrame[] = [];
    for (let end = this.#buffer.indexOf('\n\n'); end >= 0; end = this.#buffer.indexOf('\n\n')) {
      const frame = parseBlock(this.#buffer.slice(0, end));
      this.#buffer = this.#buffer.slice(end + 2);
      if (Object.keys(frame).length > 0) frames.push(frame);
    }
    return frames;
  }
}

function parseBlock(block: string): SseFrame {
  const frame: SseFrame = {};
  for (const line of block.split('\n')) {
    if (line === '') continue;
    if (line.startsWith(':')) {
      frame.comment = line.slice(1).trim();
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') frame.id = value;
    else if (field === 'event') frame.event = value;
    else if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
    else if (field === 'retry' && /^\d+$/.test(value)) frame.retry = Number(value);
  }
  return frame;
}
