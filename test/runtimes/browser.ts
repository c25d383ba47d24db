import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundle } from './bundle.js';
import { startPageServer } from './pageServer.js';
import { STORY_DEADLINE_MS, type StoryOutcome } from './spawnStory.js';

/** Debian's Chromium (`apt-get install chromium`). */
export const CHROMIUM = '/usr/bin/chromium';

/** Flags that keep Chromium off the network it does not have here, and out of the sandbox root cannot use. */
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The part of playwright-core's API used here (typed by hand: installed in this folder only). */
interface Page {
  goto(url: string): Promise<unknown>;
  evaluate<T>(fn: () => T | Promise<T>): Promise<T>;
  on(event: 'pageerror', listener: (error: Error) => void): void;
}
interface Browser {
  version(): string;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
interface Playwright {
  chromium: { launch(options: Record<string, unknown>): Promise<Browser> };
}

const playwright = createRequire(import.meta.url)('playwright-core') as Playwright;

/** Launches headless Chromium once to read its version. */
export async function chromiumVersion(): Promise<string> {
  const browser = await playwright.chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_FLAGS,
  });
  try {
    return browser.version();
  } finally {
    await browser.close();
  }
}

/**
 * Plays the story in a page of headless Chromium: story.mjs bundled for the browser, served on
 * localhost, its result read back from the page.
 */
export async function runInChromium(baseURL: string): Promise<StoryOutcome> {
  const dir = await mkdtemp(join(tmpdir(), 'llm-resilience-browser-'));
  const script = join(dir, 'story.js');
  await bundle('story.mjs', script, 'browser');
  const pages = await startPageServer(script, baseURL);
  let browser: Browser | undefined;
  try {
    // Playwright starts Chromium with a new, empty profile of its own.
    browser = await playwright.chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_FLAGS,
      timeout: STORY_DEADLINE_MS,
    });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(pages.url);
    const result = await page.evaluate(
      () =>
        (globalThis as unknown as { storyResult: Promise<Record<string, unknown>> }).storyResult,
    );
    return errors.length === 0 ? { result } : { error: `page errors: ${errors.join('; ')}` };
  } catch (error) {
    return { error: String(error) };
  } finally {
    await browser?.close();
    await pages.close();
    await rm(dir, { recursive: true, force: true });
  }
}
