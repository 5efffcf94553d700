// Real Chromium for the e2e tests, driven by playwright-core: Debian's /usr/bin/chromium or
// CHROMIUM_PATH. Without a browser the suites skip with a message — except in CI
// (CI=true), where a missing browser fails them instead.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
] as const;

const IN_CI = process.env.CI === 'true';

/** CHROMIUM_PATH when set (and only it), else Debian's /usr/bin/chromium. */
function findChromium(): string | undefined {
  const candidate = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  return existsSync(candidate) ? candidate : undefined;
}

export const CHROMIUM_PATH = findChromium();

/** Why the browser tests cannot run here; undefined when they can. */
export const BROWSER_UNAVAILABLE: string | undefined =
  CHROMIUM_PATH === undefined
    ? `No Chromium at ${process.env.CHROMIUM_PATH ? `CHROMIUM_PATH=${process.env.CHROMIUM_PATH}` : '/usr/bin/chromium'}: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH.`
    : undefined;

if (BROWSER_UNAVAILABLE !== undefined) {
  if (IN_CI) throw new Error(`CI (CI=true) needs a browser for the e2e tests. ${BROWSER_UNAVAILABLE}`);
  console.warn(`${BROWSER_UNAVAILABLE} Skipping the browser tests.`);
}

export async function launchBrowser(): Promise<Browser> {
  if (CHROMIUM_PATH === undefined) throw new Error(BROWSER_UNAVAILABLE);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], headless: true });
}

export const WIDTHS = { phone: 375, desktop: 1440 } as const;

/** A page whose console errors and uncaught exceptions are collected, for asserting there were none. */
export interface WatchedPage {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly consoleErrors: string[];
  close(): Promise<void>;
}

export async function openPage(browser: Browser, width: number = WIDTHS.desktop): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width, height: width < 600 ? 800 : 900 } });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') consoleErrors.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
  return { context, page, consoleErrors, close: () => context.close() };
}

const RESULTS_DIR = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

/** Writes a full-page PNG under test-results/screenshots/ (ignored by git); returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  return file;
}
