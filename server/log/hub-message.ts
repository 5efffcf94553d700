// What the hub tells readers, and its wire form on PostgreSQL's NOTIFY channel between instances.

import { createHash } from 'node:crypto';
import { RunnerPresenceSchema } from '../../protocol/schemas.js';
import type { RunnerPresence } from '../../protocol/wire-types.js';

/**
 * The NOTIFY channel of one deployment. Channels are database-wide while runlog's tables live
 * in a schema, so deployments sharing a database in different schemas must not hear each
 * other (a foreign build's ack would mislead readers of a same-named build here).
 */
export function hubChannel(schema: string): string {
  const name = `runlog_${schema}`;
  // PostgreSQL identifiers hold 63 bytes; a longer schema name gets a digest instead.
  return name.length <= 63 ? name : `runlog_${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`;
}

/** Where and as whom an instance announces its changes to the others. */
export interface HubAddress {
  readonly channel: string;
  /** This instance's id: it skips its own messages, having delivered them locally. */
  readonly origin: string;
}

export type HubMessage =
  | { readonly kind: 'advanced'; readonly buildId: string; readonly ack: number; readonly final: number | null }
  | { readonly kind: 'created'; readonly buildId: string }
  | { readonly kind: 'deleted'; readonly buildId: string }
  /** A runner report was stored (PROTOCOL §Runner presence); carried whole, so no reader queries for it. */
  | { readonly kind: 'presence'; readonly buildId: string; readonly runner: RunnerPresence };

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
    case 'presence': {
      const runner = RunnerPresenceSchema.safeParse(v.runner);
      return runner.success ? { origin: v.o, message: { kind: 'presence', buildId, runner: runner.data } } : undefined;
    }
    default:
      return undefined;
  }
}
