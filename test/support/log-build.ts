// Large builds for the log viewer's e2e suite: a 200 000-line log with ANSI colours, `\r`
// progress lines, URLs and OSC 8 links, in steps, appended fast (batches of 1000, a few in
// flight at once, within the gap window of PROTOCOL §Append rule 3).
import type { EventInput } from '../../protocol/wire-types.js';

const ESC = '\x1b';

/** Lines with something to check, by number. */
export const MARKED_LINES = {
  marker7: 7,
  red: 100,
  jsLink: 101,
  progress: 103,
  link: 105,
  late: 199_993,
} as const;

export const MARKER_7 = 'UNIQUE-MARKER-SEVEN-a91';
export const MARKER_LATE = 'UNIQUE-MARKER-LATE-b72';

/** The text of line `n` of the big build. */
export function bigLogLine(n: number): string {
  switch (n) {
    case MARKED_LINES.marker7:
      return `${ESC}[1m${MARKER_7}${ESC}[22m found here`;
    case MARKED_LINES.late:
      return `${ESC}[36m${MARKER_LATE}${ESC}[0m near the end`;
    case MARKED_LINES.red:
      return `${ESC}[31mRED-TEXT${ESC}[0m PLAIN-TEXT`;
    case MARKED_LINES.jsLink:
      return `${ESC}]8;;javascript:alert(1)${ESC}\\EVIL-LINK${ESC}]8;;${ESC}\\ and ${ESC}]8;;https://example.com/osc8${ESC}\\GOOD-LINK${ESC}]8;;${ESC}\\`;
    case MARKED_LINES.progress:
      return 'downloading 10%\rdownloading 55%\rdownloading 100% done';
  }
  switch (n % 10) {
    case 1:
      return `${ESC}[32m✓${ESC}[0m test ${n} passed ${ESC}[2m(12 ms)${ESC}[22m`;
    case 3:
      return `progress ${n} 10%\rprogress ${n} 60%\rprogress ${n} 100%`;
    case 5:
      return `see https://example.com/builds/${n} for details`;
    case 9:
      return `${ESC}[38;5;208mwarn${ESC}[39m ${ESC}[38;2;120;200;255mtruecolor${ESC}[0m line ${n}`;
    default:
      return `compiling module ${n} of the build`;
  }
}

/** The big build's events: `start`, then `steps` steps splitting `lines` lines evenly, `finish`. */
export function bigBuildEvents(lines: number, steps: number, line: (n: number) => string = bigLogLine): EventInput[] {
  const events: EventInput[] = [{ type: 'start', data: {} }];
  const perStep = Math.ceil(lines / steps);
  for (let n = 1; n <= lines; n++) {
    if ((n - 1) % perStep === 0) events.push({ type: 'start-step', data: {} });
    events.push({ type: 'log', data: { stream: 'stdout', line: line(n) } });
    if (n % perStep === 0 || n === lines) events.push({ type: 'finish-step', data: {} });
  }
  events.push({ type: 'finish', data: { status: 'succeeded' } });
  return events;
}

/** Appends `events` from seq `from` in batches of 1000, `parallel` batches in flight. */
export async function appendFast(url: string, buildId: string, token: string, events: readonly EventInput[], options: { from?: number; parallel?: number; final?: boolean } = {}): Promise<void> {
  const from = options.from ?? 1;
  const batches: Array<{ from: number; events: EventInput[]; final: boolean }> = [];
  for (let i = 0; i < events.length; i += 1000) {
    batches.push({ from: from + i, events: events.slice(i, i + 1000), final: options.final === true && i + 1000 >= events.length });
  }
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      const response = await fetch(`${url}/v1/builds/${buildId}/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(batch),
      });
      if (response.status !== 200) throw new Error(`append at ${batch.from}: ${response.status} ${await response.text()}`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.parallel ?? 4) }, worker));
}

/** Minimal view of the engine's append (server/log/log-engine.ts), for building logs in-process. */
export interface EngineAppend {
  append(buildId: string, batch: { from: number; events: Array<{ type: string; data: string; time: string | null }>; final: boolean; epoch: number }, generation: string | undefined): Promise<unknown>;
}

/**
 * Appends `events` through the server's engine in its own process — the commit path of every
 * HTTP append, without the HTTP and JSON parsing — `window` batches of 1000 at once so group
 * commit writes several per transaction (within the gap window of PROTOCOL §Append rule 3).
 */
export async function appendInProcess(engine: EngineAppend, buildId: string, events: readonly EventInput[], window = 8): Promise<void> {
  const batches = [];
  for (let i = 0; i < events.length; i += 1000) {
    batches.push({
      from: i + 1,
      events: events.slice(i, i + 1000).map((e) => ({ type: e.type, data: JSON.stringify(e.data ?? null), time: e.time ?? null })),
      final: i + 1000 >= events.length,
      epoch: 0,
    });
  }
  for (let i = 0; i < batches.length; i += window) {
    await Promise.all(batches.slice(i, i + window).map((batch) => engine.append(buildId, batch, undefined)));
  }
}
