// Drains, undrains and fills one node from the operator page's buttons, and watches the control plane's view follow.
import { run, until } from './browser.mjs';

await run(async ({ options, open, shot }) => {
  const node = options.node;
  const page = await open(options.operator);
  const state = () => page.locator(`tr[data-node="${node}"]`).getAttribute('data-state');
  await until(page, node + ' up', n => document.querySelector(`tr[data-node="${n}"]`)?.dataset.state === 'up', node);
  const sites = await page.locator('section.site').evaluateAll(s => s.map(x => x.dataset.site));
  const rows = await page.locator('tr[data-node]').evaluateAll(r => r.map(x => x.dataset.node));

  await page.locator(`tr[data-node="${node}"] button`, { hasText: 'Drain' }).click();
  await until(page, node + ' draining', n => document.querySelector(`tr[data-node="${n}"]`)?.dataset.state === 'draining', node);
  const drained = await state();
  await shot(page, 'operator-draining');

  await page.locator(`tr[data-node="${node}"] button`, { hasText: 'Undrain' }).click();
  await until(page, node + ' up again', n => document.querySelector(`tr[data-node="${n}"]`)?.dataset.state === 'up', node);
  const undrained = await state();

  await page.locator(`tr[data-node="${node}"] button`, { hasText: 'Fill' }).click();
  const fill = await until(page, 'the fill to finish',
    n => { const t = document.querySelector(`tr[data-node="${n}"] .action-status`)?.textContent || ''; return /fill (done|failed|cancelled)/.test(t) && t; }, node, 60000);
  const text = await page.locator('body').innerText();
  await shot(page, 'operator-fill');

  // A player plays meanwhile: the node serving it shows its session and bitrate, from the CMCD it sends.
  let quality = null;
  if (options.player) {
    const player = await open(options.player);
    await until(player, 'two segments played', () => window.edgePlayer && window.edgePlayer.segments >= 2);
    quality = await until(page, 'a node with a player', () => {
      const heads = [...document.querySelectorAll('thead th')].map(h => h.textContent);
      const column = name => heads.indexOf(name);
      for (const row of document.querySelectorAll('tr[data-node]')) {
        const cells = [...row.children].map(c => c.textContent);
        const players = Number(cells[column('Players')]);
        if (players >= 1) {
          return { node: row.dataset.node, players, rebuffering: cells[column('Rebuffering')], bitrate: cells[column('Bitrate')] };
        }
      }
      return false;
    });
    await shot(page, 'operator-players');
  }

  return { sites, rows, drained, undrained, fill, text, quality };
});
