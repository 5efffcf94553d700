// The React hooks check their options while rendering: a bad one throws a TypeError at once,
// before any connection, rather than surfacing at the first event.
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { useBuild, useBuilds, type UseWatchOptions } from './react.js';

class NeverEventSource {
  readonly readyState = 0;
  onopen = null;
  onmessage = null;
  onerror = null;
  constructor() {
    throw new Error('a render must not connect');
  }
  addEventListener(): void {}
  close(): void {}
}
const OK: UseWatchOptions = { url: 'http://127.0.0.1:1', token: 't', EventSource: NeverEventSource, fetch: async () => new Response('{}') };

function renderBuild(buildId: unknown, options: unknown): string {
  const Probe = () => {
    const view = useBuild(buildId as string, options as UseWatchOptions);
    return createElement('output', null, `${view.status.kind} ${view.seq}`);
  };
  return renderToString(createElement(Probe));
}

function renderBuilds(options: unknown): string {
  const Probe = () => createElement('output', null, useBuilds(options as UseWatchOptions).status.kind);
  return renderToString(createElement(Probe));
}

describe('useBuild and useBuilds', () => {
  it('render "connecting" with good options, without connecting during render', () => {
    expect(renderBuild('b-1', OK)).toBe('<output>connecting 0</output>');
    expect(renderBuilds(OK)).toBe('<output>connecting</output>');
  });

  it.each([
    ['a buildId outside the pattern', 'no spaces allowed', OK, /buildId/],
    ['a url that is not http(s)', 'b-1', { ...OK, url: 'ftp://x' }, /url/],
    ['a token that is not a string', 'b-1', { ...OK, token: 42 }, /token/],
    ['a negative reconnect delay', 'b-1', { ...OK, reconnectBaseMs: -1 }, /reconnectBaseMs/],
    ['a fetch that is not a function', 'b-1', { ...OK, fetch: 'fetch' }, /fetch/],
  ])('useBuild throws a TypeError at once for %s', (_, buildId, options, message) => {
    expect(() => renderBuild(buildId, options)).toThrow(TypeError);
    expect(() => renderBuild(buildId, options)).toThrow(message);
  });

  it('useBuilds throws a TypeError at once for a bad url or options that are not an object', () => {
    expect(() => renderBuilds({ ...OK, url: '' })).toThrow(TypeError);
    expect(() => renderBuilds(null)).toThrow(TypeError);
  });
});
