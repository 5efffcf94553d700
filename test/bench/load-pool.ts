// The bench's load processes: forked once per run, each given tasks by message. `runTogether`
// prepares a set of tasks (connections open, viewers caught up), then starts them all at once.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CpuFigures, LoadTask, TaskFigures, WorkerMessage } from './load-tasks.js';

const WORKER = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

export interface TaskResult {
  readonly figures: TaskFigures;
  readonly cpu: CpuFigures;
}

export interface Prepared {
  /** Starts every prepared task and resolves with their results, in the order given. */
  run(): Promise<TaskResult[]>;
}

export class LoadPool {
  readonly #workers: ChildProcess[];
  readonly #waiting = new Map<number, { ready: () => void; done: (r: TaskResult) => void; fail: (e: Error) => void }>();
  #nextId = 1;

  constructor(size: number) {
    // Inherits the tsx loader from this process's execArgv; a generous heap for thousands of sockets.
    this.#workers = Array.from({ length: size }, () => fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    for (const worker of this.#workers) {
      worker.on('message', (message: WorkerMessage) => {
        const waiting = this.#waiting.get(message.id);
        if (!waiting) return;
        if (message.phase === 'ready') waiting.ready();
        else if (message.phase === 'done') {
          this.#waiting.delete(message.id);
          waiting.done({ figures: message.figures, cpu: message.cpu });
        } else {
          this.#waiting.delete(message.id);
          waiting.fail(new Error(`load task failed: ${message.error}`));
        }
      });
    }
  }

  get size(): number {
    return this.#workers.length;
  }

  /** Prepares `tasks[i]` on worker `(offset + i) % size`; resolves once every one is ready. */
  async prepare(tasks: readonly LoadTask[], offset = 0): Promise<Prepared> {
    const entries = tasks.map((task, i) => {
      const id = this.#nextId++;
      const worker = this.#workers[(offset + i) % this.#workers.length]!;
      let ready!: () => void;
      let done!: (r: TaskResult) => void;
      let fail!: (e: Error) => void;
      const readyP = new Promise<void>((res, rej) => ((ready = res), (fail = rej)));
      const doneP = new Promise<TaskResult>((res, rej) => {
        done = res;
        const failReady = fail;
        fail = (e) => {
          failReady(e);
          rej(e);
        };
      });
      doneP.catch(() => {});
      this.#waiting.set(id, { ready, done, fail: (e) => fail(e) });
      worker.send({ id, task });
      return { id, worker, readyP, doneP };
    });
    await Promise.all(entries.map((e) => e.readyP));
    return {
      run: () => {
        for (const e of entries) e.worker.send({ id: e.id, run: true });
        return Promise.all(entries.map((e) => e.doneP));
      },
    };
  }

  async runTogether(tasks: readonly LoadTask[], offset = 0): Promise<TaskResult[]> {
    return (await this.prepare(tasks, offset)).run();
  }

  close(): void {
    for (const worker of this.#workers) worker.disconnect();
  }
}

/** The busiest load process's CPU use during its run, as a fraction of one core. */
export function clientCpuShare(results: readonly TaskResult[]): number {
  return Math.max(0, ...results.map((r) => r.cpu.cpuSeconds / Math.max(r.cpu.wallSeconds, 1e-6)));
}

/** The sum over all load processes of CPU seconds. */
export function clientCpuSeconds(results: readonly TaskResult[]): number {
  return results.reduce((s, r) => s + r.cpu.cpuSeconds, 0);
}
