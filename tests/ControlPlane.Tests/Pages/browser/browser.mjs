// Shared by the page scenarios: Debian's Chromium driven by playwright-core, bounded waits, screenshots, and
// one JSON result line on stdout for the test that started the scenario.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export function args() {
  const result = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) result[argv[i].replace(/^--/, '')] = argv[i + 1];
  return result;
}

export async function run(scenario) {
  const options = args();
  mkdirSync(options.shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--autoplay-policy=no-user-gesture-required'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const pages = [];
  const shots = [];
  const log = [];
  const shot = async (page, name) => {
    const path = join(options.shots, name + '.png');
    await page.screenshot({ path, fullPage: true });
    shots.push(path);
  };
  const open = async url => {
    const page = await context.newPage();
    page.on('pageerror', e => log.push('pageerror: ' + e.message));
    page.on('console', m => { if (m.type() === 'error') log.push('console: ' + m.text()); });
    pages.push(page);
    await page.goto(url);
    return page;
  };
  let exitCode = 0;
  try {
    const result = await scenario({ options, open, shot, log });
    console.log(JSON.stringify({ ok: true, ...result, screenshots: shots, log }));
  } catch (e) {
    const states = [];
    for (const [i, page] of pages.entries()) {
      try {
        await shot(page, 'failure-' + i);
        states.push(await page.evaluate(() => ({ url: location.href, player: window.edgePlayer, operator: window.edgeOperator })));
      } catch { /* the page may be gone */ }
    }
    console.log(JSON.stringify({ ok: false, error: String(e && e.stack || e), pages: states, screenshots: shots, log }));
    exitCode = 1;
  } finally {
    await browser.close();
  }
  process.exit(exitCode);
}

// Waits (bounded) until fn(arg) is truthy in the page and returns its value.
export async function until(page, what, fn, arg, timeoutMs = 30000) {
  try {
    const handle = await page.waitForFunction(fn, arg, { timeout: timeoutMs, polling: 100 });
    return await handle.jsonValue();
  } catch (e) {
    throw new Error('gave up waiting for ' + what + ' after ' + timeoutMs + ' ms: ' + e.message);
  }
}

export const playerStatus = page => page.evaluate(() => {
  const s = window.edgePlayer;
  return { state: s.state, engine: s.engine, currentTime: s.currentTime, bufferAhead: s.bufferAhead, node: s.node, nodes: s.nodes, cache: s.cache,
    rendition: s.rendition, segments: s.segments, nodeChanges: s.nodeChanges, errors: s.errors, events: s.events, cmcdSession: s.cmcdSession };
});
