// Opens the player and operator pages at phone width (--width, CSS pixels) and reports how wide each laid out.
import { run, until } from './browser.mjs';

await run(async ({ options, open, shot }) => {
  const width = Number(options.width || 420);
  const result = {};
  for (const [name, url, ready] of [
    ['player', options.player, () => window.edgePlayer && window.edgePlayer.state === 'playing'],
    ['operator', options.operator, () => document.querySelectorAll('tr[data-node]').length > 0],
  ]) {
    const page = await open(url);
    await page.setViewportSize({ width, height: 800 });
    await until(page, name + ' page ready', ready, null, 60000);
    result[name] = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    await shot(page, name + '-' + width);
  }
  return result;
});
