// What the presence suites ask the server about a build's runner (PROTOCOL §Runner presence).
import type { RunnerPresence } from '../../protocol/wire-types.js';
import type { TestServer } from './test-server.js';

export interface PresenceSample {
  readonly runner: RunnerPresence | null;
  readonly status: string;
  /** When it was asked (ms since the epoch), to age `lastSeenAt` against. */
  readonly askedAt: number;
}

/** The build's runner as the server holds it, and when we asked. */
export async function presenceOf(server: TestServer, buildId: string): Promise<PresenceSample> {
  const askedAt = Date.now();
  const { body } = await server.api(`/v1/builds/${buildId}`);
  return { runner: body.runner, status: body.status, askedAt };
}

/** How old the runner's last word was when the sample was taken. */
export function ageMs(sample: PresenceSample): number {
  return sample.askedAt - Date.parse(sample.runner!.lastSeenAt);
}
