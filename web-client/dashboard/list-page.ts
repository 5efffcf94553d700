// The build list (/): every build, newest first, with live status and its runner's presence,
// age, event count and ack, over one `?watch=true` stream. A row opens its build; the id is a link, so the list
// is reachable with the keyboard.
import type { Build } from '../../protocol/wire-types.js';
import { watchBuilds } from '../watch-builds.js';
import type { WatchStatus } from '../watch-status.js';
import type { Page, PageContext } from './build-page.js';
import { ConnectionIndicator, describeError } from './connection-indicator.js';
import { h, replaceChildren, setAttr, setText } from './dom.js';
import { RunnerStatus } from './runner-status.js';
import { describeMeta, formatAge, formatCount } from './format.js';
import { tokenForm } from './token-form.js';

interface Row {
  build: Build;
  readonly tr: HTMLTableRowElement;
  readonly status: HTMLElement;
  readonly runner: RunnerStatus;
  readonly events: HTMLElement;
  readonly ack: HTMLElement;
  readonly age: HTMLElement;
  readonly last: HTMLElement;
  readonly meta: HTMLElement;
}

export function buildHref(buildId: string): string {
  return `/builds/${encodeURIComponent(buildId)}`;
}

export function mountListPage(root: HTMLElement, ctx: PageContext): Page {
  const indicator = new ConnectionIndicator();
  const body = h('tbody');
  const empty = h('p', { class: 'empty' }, 'Loading builds…');
  const notice = h('div', { class: 'notice-slot' });
  const rows = new Map<string, Row>();
  const th = (label: string, cls?: string) => h('th', { class: cls, attrs: { scope: 'col' } }, label);

  replaceChildren(
    root,
    h('header', { class: 'top' }, h('h1', null, 'runlog'), h('span', { class: 'muted' }, 'builds'), indicator.el),
    h(
      'main',
      { class: 'list-page' },
      notice,
      h(
        'section',
        { class: 'panel', attrs: { 'aria-labelledby': 'builds-title' } },
        h('h2', { attrs: { id: 'builds-title' } }, 'Builds'),
        empty,
        h(
          'table',
          { class: 'builds' },
          h('thead', null, h('tr', null, th('Build'), th('Status'), th('Events', 'num'), th('Ack', 'num wide-only'), th('Age'), th('Last event', 'wide-only'))),
          body,
        ),
      ),
    ),
  );
  document.title = 'Builds · runlog';

  const tick = (now = Date.now()) => {
    for (const row of rows.values()) {
      row.runner.tick(now);
      setText(row.age, formatAge(row.build.createdAt, now));
      setText(row.last, formatAge(row.build.lastEventAt, now, ' ago'));
    }
  };

  const onChange = (builds: readonly Build[]) => {
    const seen = new Set<string>();
    for (const build of builds) {
      seen.add(build.buildId);
      let row = rows.get(build.buildId);
      if (row === undefined) {
        row = createRow(build);
        rows.set(build.buildId, row);
      }
      row.build = build;
      updateRow(row);
      body.appendChild(row.tr); // appending in list order keeps the rows sorted, newest first
    }
    for (const [id, row] of rows) {
      if (!seen.has(id)) {
        row.tr.remove();
        rows.delete(id);
      }
    }
    empty.hidden = builds.length > 0;
    setText(empty, 'No builds yet.');
    tick();
  };

  const onStatus = (status: WatchStatus) => {
    indicator.set(status);
    root.dataset.conn = status.kind;
    if (status.kind === 'error') {
      replaceChildren(
        notice,
        status.code === 'unauthorized' || status.code === 'forbidden'
          ? tokenForm(`The build list needs a read:* token: ${describeError(status)}.`, ctx.restart)
          : h('p', { class: 'notice' }, `Stopped: ${describeError(status)}.`),
      );
    }
  };

  const watch = watchBuilds({ url: ctx.origin, token: ctx.token, onChange, onStatus });
  const ticker = setInterval(() => {
    tick();
    indicator.tick();
  }, 1000);
  return {
    close() {
      clearInterval(ticker);
      watch.close();
    },
  };
}

function createRow(build: Build): Row {
  const href = buildHref(build.buildId);
  const status = h('span', { class: 'badge status' });
  const runner = new RunnerStatus({ detail: false });
  const events = h('td', { class: 'num' });
  const ack = h('td', { class: 'num wide-only' });
  const age = h('td', { class: 'nowrap' });
  const last = h('td', { class: 'wide-only nowrap' });
  const meta = h('span', { class: 'meta muted' });
  const tr = h(
    'tr',
    {
      attrs: { 'data-build-id': build.buildId },
      on: {
        // The whole row opens the build; the link inside stays the keyboard's way in.
        click: (event) => {
          if (!(event.target as Element).closest('a')) window.location.assign(href);
        },
      },
    },
    h('td', null, h('a', { attrs: { href } }, build.buildId), meta),
    // The runner's words sit under the build's status: one column, so a phone's width still fits.
    h('td', { class: 'status-cell' }, status, runner.el),
    events,
    ack,
    age,
    last,
  );
  return { build, tr, status, runner, events, ack, age, last, meta };
}

function updateRow(row: Row): void {
  const { build } = row;
  setText(row.status, build.status);
  setAttr(row.status, 'data-status', build.status);
  row.runner.set(build.runner ?? null, build.status === 'complete');
  setText(row.events, formatCount(build.ack));
  setText(row.ack, build.final === null ? String(build.ack) : `${build.ack} / ${build.final}`);
  setAttr(row.ack, 'title', build.final === null ? 'ack (no final yet)' : 'ack / final');
  setText(row.meta, describeMeta(build.meta));
}
