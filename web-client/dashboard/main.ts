// The dashboard's entry: adopts the token from the URL, then mounts the page the path names —
// `/` the build list, `/builds/:buildId` one build.
import { adoptToken } from './token.js';
import { mountBuildPage, type Page, type PageContext } from './build-page.js';
import { h, replaceChildren } from './dom.js';
import { mountListPage } from './list-page.js';
import { tokenForm } from './token-form.js';

const root = document.getElementById('app');
let current: Page | undefined;

function start(): void {
  if (root === null) return;
  current?.close();
  current = undefined;
  const token = adoptToken();
  if (token === undefined) {
    replaceChildren(root, h('header', { class: 'top' }, h('h1', null, 'runlog')), h('main', null, tokenForm('This dashboard needs a token to read builds.', start)));
    return;
  }
  const ctx: PageContext = { origin: window.location.origin, token, restart: start };
  const match = /^\/builds\/([^/]+)\/?$/.exec(window.location.pathname);
  try {
    current = match ? mountBuildPage(root, decodeURIComponent(match[1]!), ctx) : mountListPage(root, ctx);
  } catch (error) {
    replaceChildren(root, h('header', { class: 'top' }, h('a', { class: 'back', attrs: { href: '/' } }, '← Builds')), h('main', null, h('p', { class: 'notice' }, (error as Error).message)));
  }
}

start();
