// What a build page shows, read from the DOM, and what it should show, computed from the log
// with plain loops (not the reducer), so a page that applies an event twice or skips one
// differs from the expectation.
import type { Page } from 'playwright-core';
import type { LogEvent } from '../../protocol/schemas.js';

export interface PageView {
  readonly status: string | null;
  readonly eventCount: number;
  readonly byType: Record<string, number>;
  /** Lines the log panel says the log has (it renders only those near its viewport). */
  readonly logLines: number;
  readonly tools: Array<{ id: string; name: string; state: string }>;
  readonly texts: Record<string, string>;
  readonly reasoning: Record<string, string>;
  readonly errors: number[];
}

export async function readPageView(page: Page): Promise<PageView> {
  return page.evaluate(() => {
    const all = (selector: string) => Array.from(document.querySelectorAll<HTMLElement>(selector));
    const byType: Record<string, number> = {};
    for (const row of all('table.counts tr[data-type]')) byType[row.dataset.type!] = Number(row.querySelector('.num')!.textContent!.replace(/,/g, ''));
    const texts = (cls: string) => Object.fromEntries(all(`.${cls}-block`).map((el) => [el.dataset.textId!, el.textContent ?? '']));
    return {
      status: document.querySelector('[data-testid="build-status"]')?.getAttribute('data-status') ?? null,
      eventCount: Number(document.querySelector('[data-testid="event-count"]')?.getAttribute('data-count') ?? NaN),
      byType,
      logLines: Number(document.querySelector<HTMLElement>('.log-panel')?.dataset.lines ?? NaN),
      tools: all('li.tool').map((el) => ({ id: el.dataset.toolCallId!, name: el.querySelector('.tool-name')!.textContent!, state: el.dataset.state! })),
      texts: texts('text'),
      reasoning: texts('reasoning'),
      errors: all('.errors li').map((el) => Number(el.dataset.seq)),
    };
  });
}

/** The view the log implies. */
export function expectedView(log: readonly LogEvent[], status: string): PageView {
  const byType: Record<string, number> = {};
  const tools = new Map<string, { id: string; name: string; state: string }>();
  const texts: Record<string, string> = {};
  const reasoning: Record<string, string> = {};
  let logLines = 0;
  const errors: number[] = [];
  const states: Record<string, string> = {
    'tool-input-start': 'input-streaming',
    'tool-input-available': 'input-available',
    'tool-output-available': 'output-available',
    'tool-input-error': 'error',
    'tool-output-error': 'error',
  };
  for (const event of log) {
    byType[event.type] = (byType[event.type] ?? 0) + 1;
    const data = event.data as Record<string, string>;
    if (event.type.startsWith('tool-')) {
      const tool = tools.get(data.toolCallId!) ?? { id: data.toolCallId!, name: '', state: 'input-streaming' };
      if (data.toolName) tool.name = data.toolName;
      tool.state = states[event.type] ?? tool.state;
      tools.set(tool.id, tool);
    } else if (event.type.startsWith('text-')) texts[data.id!] = (texts[data.id!] ?? '') + (data.delta ?? '');
    else if (event.type.startsWith('reasoning-')) reasoning[data.id!] = (reasoning[data.id!] ?? '') + (data.delta ?? '');
    else if (event.type === 'log') logLines++;
    else if (event.type === 'error') errors.push(event.seq);
  }
  return {
    status,
    eventCount: log.length,
    byType,
    logLines,
    tools: [...tools.values()],
    texts,
    reasoning,
    errors,
  };
}
