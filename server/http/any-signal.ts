// One AbortSignal that aborts when any of several does, with explicit disposal: a request
// signal combined with the server's long-lived shutdown signal must not leave a listener on
// the latter for every request ever served.

export function anySignal(signals: readonly AbortSignal[]): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  for (const s of signals) {
    if (s.aborted) {
      controller.abort();
      break;
    }
    s.addEventListener('abort', abort, { once: true });
  }
  return {
    signal: controller.signal,
    dispose: () => {
      for (const s of signals) s.removeEventListener('abort', abort);
    },
  };
}
