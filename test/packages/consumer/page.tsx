// A page of "your own app": renders a build with @runlog/web/react. Bundled by esbuild in the
// scratch project and opened in Chromium by test/packages/tarballs.test.ts.
import { createRoot } from 'react-dom/client';
import { useBuild } from '@runlog/web/react';

const params = new URLSearchParams(location.search);
const server = params.get('server') ?? '';
const token = params.get('token') ?? undefined;
const buildId = params.get('build') ?? '';

function BuildStatus({ id }: { id: string }) {
  const { state, messages, seq, status } = useBuild(id, { url: server, token });
  return (
    <output id="build" data-status={status.kind} data-seq={seq} data-events={state?.counts.events ?? 0} data-messages={messages.length}>
      {state === null ? 'loading…' : `${state.counts.events} events, ${state.status}`}
    </output>
  );
}

const root = createRoot(document.getElementById('root')!);
root.render(<BuildStatus id={buildId} />);
document.getElementById('unmount')!.addEventListener('click', () => {
  root.unmount();
  document.body.dataset.unmounted = 'true';
});
