// One row of the bench's table, and the small helpers every row family shares.
import type { TaskResult } from './load-pool.js';
import { clientCpuShare } from './load-pool.js';
import type { BenchServer } from './server-under-test.js';

export interface RowResult {
  /** Stable key in the JSON output. */
  readonly id: string;
  readonly title: string;
  /** The measured figure(s), formatted. */
  readonly figure: string;
  readonly target?: string;
  /** Whether the target is met; undefined for rows without one. */
  readonly met?: boolean;
  /** The server process's CPU during the row, as a share of one core. */
  readonly serverCpu?: number;
  /** The busiest load process's CPU during the row, as a share of one core. */
  readonly clientCpu?: number;
  readonly note?: string;
  readonly values: Record<string, number | boolean | string | null>;
}

export interface BenchSizes {
  readonly quick: boolean;
}

/** The `q` quantile of ascending `sorted` values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

export function ascending(values: Iterable<number>): number[] {
  return [...values].sort((a, b) => a - b);
}

/** 412345 → "412 345". */
export function int(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

export function ms(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return n < 10 ? `${n.toFixed(1)} ms` : `${Math.round(n)} ms`;
}

export function ratio(n: number): string {
  return n >= 10 ? `${n.toFixed(0)}×` : `${n.toFixed(2)}×`;
}

/** Measures the server's CPU over a stretch of work: `done()` gives its share of one core. */
export function serverCpuMeter(server: BenchServer): { done(): number } {
  const cpu0 = server.cpuSeconds();
  const t0 = performance.now();
  return {
    done: () => (server.cpuSeconds() - cpu0) / Math.max((performance.now() - t0) / 1000, 1e-3),
  };
}

export function clientCpu(results: readonly TaskResult[]): number {
  return clientCpuShare(results);
}

export function sleep(msDelay: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, msDelay));
}

/** Reads one gauge or counter from the server's /metrics. */
export async function metricValue(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : NaN;
}
