// What the hub tells readers, and its wire form on PostgreSQL's NOTIFY channel between instances.

export const HUB_CHANNEL = 'runlog_hub';

export type HubMessage =
  | { readonly kind: 'advanced'; readonly buildId: string; readonly ack: number; readonly final: number | null }
  | { readonly kind: 'created'; readonly buildId: string }
  | { readonly kind: 'deleted'; readonly buildId: string };

/** `origin` names the sending instance so it can skip its own messages (it delivered them locally). */
export function encodeHubMessage(message: HubMessage, origin: string): string {
  return JSON.stringify({ o: origin, ...message });
}

export function decodeHubMessage(payload: string): { origin: string; message: HubMessage } | undefined {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof v.o !== 'string' || typeof v.buildId !== 'string') return undefined;
  const buildId = v.buildId;
  switch (v.kind) {
    case 'advanced':
      if (typeof v.ack !== 'number') return undefined;
      return { origin: v.o, message: { kind: 'advanced', buildId, ack: v.ack, final: typeof v.final === 'number' ? v.final : null } };
    case 'created':
    case 'deleted':
      return { origin: v.o, message: { kind: v.kind, buildId } };
    default:
      return undefined;
  }
}
