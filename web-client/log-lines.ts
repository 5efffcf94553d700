// A build's log by line number in the browser (PROTOCOL §Log lines): pages of lines loaded on
// demand around what the reader looks at, kept in a bounded cache, extended by live lines as
// they stream, and searched on the server — so a 200 000-line log costs a tab a few pages.
import type { LogStream } from '../protocol/build-state.js';
import { LogLineLimits } from '../protocol/limits.js';
import { logLineOf } from '../protocol/log-line.js';
import type { LogEvent } from '../protocol/wire-types.js';
import { WebClientError } from './errors.js';
import { Transport, buildPath, type TransportOptions } from './transport.js';

/** One line of the log, as the viewer shows it. */
export interface LogLineEntry {
  /** The line's number, from 1. */
  readonly n: number;
  readonly seq: number;
  readonly stream: LogStream;
  /** As stored: ANSI sequences and `\r` rewrites included. */
  readonly line: string;
  readonly toolCallId: string | null;
  /** The event's `time`, else its `receivedAt`. */
  readonly at: string;
}

export interface LogSearchResult {
  readonly q: string;
  /** Matching lines in the whole log. */
  readonly count: number;
  /** Their numbers, ascending (at most `maxMatches`). */
  readonly matches: readonly number[];
}

export interface LogLinesOptions extends TransportOptions {
  readonly buildId: string;
  /** Lines per page read. @default 250 */
  readonly pageLines?: number;
  /** Pages kept; the least recently wanted go first. @default 80 */
  readonly maxPages?: number;
  /** Page reads in flight at once. @default 3 */
  readonly parallelReads?: number;
  /** Called when lines arrive (a page read, or live lines). */
  readonly onChange?: () => void;
}

export const LogLinesDefaults = {
  pageLines: 250, // a screenful or two: the first page of a jump arrives in one small answer
  maxPages: 80, // 20 000 lines: a long scroll stays cached, the tab's memory stays bounded
  parallelReads: 3, // below the six connections a browser allows an origin, one kept for the stream
} as const;

/** The pause after a failed read. */
const READ_RETRY_MS = 2000;

interface Page {
  readonly lines: Array<LogLineEntry | undefined>;
  /** Read up to the total known when it was read; lines past it may come live or need a new read. */
  loadedUpTo: number;
}

/** Reads a LogLine (§Log lines) or a live `log` event into an entry; undefined when it is no line. */
export function toLogLineEntry(n: number, event: Pick<LogEvent, 'seq' | 'data' | 'time' | 'receivedAt'>): LogLineEntry | undefined {
  const line = logLineOf(event.data);
  if (line === undefined) return undefined;
  return { n, seq: event.seq, stream: line.stream, line: line.line, toolCallId: line.toolCallId, at: event.time ?? event.receivedAt };
}

export class LogLines {
  readonly buildId: string;
  readonly #transport: Transport;
  readonly #pageLines: number;
  readonly #maxPages: number;
  readonly #parallel: number;
  readonly #onChange: (() => void) | undefined;
  /** Map order is recency of want(). */
  readonly #pages = new Map<number, Page>();
  readonly #loading = new Set<number>();
  #wanted: number[] = [];
  #total = 0;
  /** After a failed read, none before this time (ms): a refused token is not asked every frame. */
  #retryAt = 0;
  readonly #abort = new AbortController();
  #closed = false;
  /** Set when a read failed; reads are retried on the next want(). */
  lastError: WebClientError | undefined;

  constructor(options: LogLinesOptions) {
    const page = options.pageLines ?? LogLinesDefaults.pageLines;
    if (!Number.isInteger(page) || page < 1 || page > LogLineLimits.maxLines) throw new TypeError(`Expected \`pageLines\` to be an integer 1–${LogLineLimits.maxLines}, got ${page}`);
    const maxPages = options.maxPages ?? LogLinesDefaults.maxPages;
    if (!Number.isInteger(maxPages) || maxPages < 2) throw new TypeError(`Expected \`maxPages\` to be an integer ≥ 2, got ${maxPages}`);
    const parallel = options.parallelReads ?? LogLinesDefaults.parallelReads;
    if (!Number.isInteger(parallel) || parallel < 1 || parallel > 6) throw new TypeError(`Expected \`parallelReads\` to be an integer 1–6, got ${parallel}`);
    this.#transport = new Transport(options);
    this.buildId = options.buildId;
    this.#pageLines = page;
    this.#maxPages = maxPages;
    this.#parallel = parallel;
    this.#onChange = options.onChange;
  }

  /** Lines the log is known to have. */
  get total(): number {
    return this.#total;
  }

  /** Pages held (for tests and diagnostics). */
  get cachedPages(): number {
    return this.#pages.size;
  }

  /** The log has `total` lines (from the state's `logs.count`); never moves back. */
  setTotal(total: number): void {
    if (total > this.#total) this.#total = total;
  }

  /** The line if it is loaded. */
  get(n: number): LogLineEntry | undefined {
    const page = this.#pages.get(this.#pageOf(n));
    return page?.lines[(n - 1) % this.#pageLines];
  }

  /** A live line, numbered by the caller in stream order (PROTOCOL §Log lines). */
  push(entry: LogLineEntry): void {
    this.setTotal(entry.n);
    const index = this.#pageOf(entry.n);
    let page = this.#pages.get(index);
    if (page === undefined) {
      // Only the page at the live edge is started from the stream; others are read when wanted.
      if (entry.n !== index * this.#pageLines + 1) return;
      page = { lines: [], loadedUpTo: entry.n - 1 };
      this.#pages.set(index, page);
      this.#evict();
    }
    page.lines[(entry.n - 1) % this.#pageLines] = entry;
    if (page.loadedUpTo === entry.n - 1) page.loadedUpTo = entry.n;
  }

  /** Loads what lines `from..to` need (nearest first); earlier wants that were not started are dropped. */
  want(from: number, to: number): void {
    if (this.#closed || this.#total === 0) return;
    const first = this.#pageOf(Math.max(1, from));
    const last = this.#pageOf(Math.max(1, Math.min(to, this.#total)));
    const wanted: number[] = [];
    for (let p = first; p <= last; p++) {
      const page = this.#pages.get(p);
      if (page !== undefined) {
        // Recently wanted pages are evicted last.
        this.#pages.delete(p);
        this.#pages.set(p, page);
      }
      if (!this.#complete(p)) wanted.push(p);
    }
    this.#wanted = wanted;
    this.#pump();
  }

  /** Lines `from..to` (at most 10 000), read from the server where not loaded. */
  async range(from: number, to: number, signal?: AbortSignal): Promise<LogLineEntry[]> {
    const last = Math.min(to, from + LogLineLimits.maxLines - 1, this.#total);
    const out: LogLineEntry[] = [];
    let n = from;
    while (n <= last) {
      const cached = this.get(n);
      if (cached) {
        out.push(cached);
        n++;
        continue;
      }
      const page = await this.#read(n - 1, last - n + 1, signal);
      if (page.length === 0) break;
      for (const entry of page) if (entry.n <= last) out.push(entry);
      n = page.at(-1)!.n + 1;
    }
    return out;
  }

  /** Lines whose shown text contains `q`, ignoring case, across the whole log. */
  async search(q: string, signal?: AbortSignal): Promise<LogSearchResult> {
    const body = await this.#transport.getJson<{ q: string; count: number; matches: number[] }>(
      buildPath(this.buildId, '/log/search'),
      { q, limit: LogLineLimits.maxMatches },
      anySignal(signal, this.#abort.signal),
    );
    return { q: body.q, count: body.count, matches: body.matches };
  }

  /** The raw download's URL (PROTOCOL §Log lines); with the token in it, for a link (clarification (t)). */
  rawUrl(strip = false): string {
    return this.#transport.url(buildPath(this.buildId, '/log'), strip ? { ansi: 'strip' } : {}, true);
  }

  close(): void {
    this.#closed = true;
    this.#abort.abort();
  }

  #pageOf(n: number): number {
    return Math.floor((n - 1) / this.#pageLines);
  }

  #complete(p: number): boolean {
    const page = this.#pages.get(p);
    const end = Math.min((p + 1) * this.#pageLines, this.#total);
    return page !== undefined && page.loadedUpTo >= end;
  }

  #pump(): void {
    if (Date.now() < this.#retryAt) return;
    while (!this.#closed && this.#loading.size < this.#parallel) {
      const p = this.#wanted.find((w) => !this.#loading.has(w) && !this.#complete(w));
      if (p === undefined) return;
      void this.#load(p);
    }
  }

  async #load(p: number): Promise<void> {
    this.#loading.add(p);
    try {
      const existing = this.#pages.get(p);
      const after = Math.max(p * this.#pageLines, existing?.loadedUpTo ?? 0);
      const limit = (p + 1) * this.#pageLines - after;
      const entries = await this.#read(after, limit);
      if (this.#closed) return;
      const page = this.#pages.get(p) ?? { lines: [], loadedUpTo: p * this.#pageLines };
      for (const entry of entries) page.lines[(entry.n - 1) % this.#pageLines] = entry;
      page.loadedUpTo = Math.max(page.loadedUpTo, entries.at(-1)?.n ?? after);
      // Fewer lines than asked (a size-cut page, or the end of what is committed): what came is kept.
      this.#pages.delete(p);
      this.#pages.set(p, page);
      this.#evict();
      this.lastError = undefined;
      this.#onChange?.();
    } catch (error) {
      if (this.#closed) return;
      this.lastError = error instanceof WebClientError ? error : new WebClientError('network', String(error));
      this.#wanted = this.#wanted.filter((w) => w !== p); // tried; a later want() tries again
      this.#retryAt = Date.now() + READ_RETRY_MS;
      this.#onChange?.();
    } finally {
      this.#loading.delete(p);
      this.#pump();
    }
  }

  async #read(after: number, limit: number, signal?: AbortSignal): Promise<LogLineEntry[]> {
    const body = await this.#transport.getJson<{ lines: Array<LogEvent & { n: number }> }>(
      buildPath(this.buildId, '/log/lines'),
      { after, limit: Math.max(1, Math.min(limit, LogLineLimits.maxLines)) },
      anySignal(signal, this.#abort.signal),
    );
    const entries: LogLineEntry[] = [];
    for (const raw of body.lines) {
      const entry = toLogLineEntry(raw.n, raw);
      if (entry) entries.push(entry);
    }
    return entries;
  }

  #evict(): void {
    for (const p of this.#pages.keys()) {
      if (this.#pages.size <= this.#maxPages) return;
      if (!this.#loading.has(p)) this.#pages.delete(p);
    }
  }
}

function anySignal(a: AbortSignal | undefined, b: AbortSignal): AbortSignal {
  if (a === undefined) return b;
  const controller = new AbortController();
  const abort = () => controller.abort();
  if (a.aborted || b.aborted) abort();
  a.addEventListener('abort', abort, { once: true });
  b.addEventListener('abort', abort, { once: true });
  return controller.signal;
}
