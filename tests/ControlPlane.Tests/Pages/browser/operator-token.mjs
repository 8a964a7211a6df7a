// Off loopback, the operator APIs need a token: without one the page says so; with one typed in it lists the
// nodes and drains one on another origin (a CORS preflight carrying Authorization).
import { run, until } from './browser.mjs';

await run(async ({ options, open, shot }) => {
  const node = options.node;
  const page = await open(options.operator);
  const refused = await until(page, 'the page to report the refusal',
    () => !document.getElementById('error').hidden && document.getElementById('error').textContent);
  await shot(page, 'operator-no-token');

  await page.locator('#token').fill(options.token);
  await page.locator('#token').dispatchEvent('change');
  await until(page, node + ' up', n => document.querySelector(`tr[data-node="${n}"]`)?.dataset.state === 'up', node);
  const errorHidden = await page.locator('#error').isHidden();

  await page.locator(`tr[data-node="${node}"] button`, { hasText: 'Drain' }).click();
  await until(page, node + ' draining', n => document.querySelector(`tr[data-node="${n}"]`)?.dataset.state === 'draining', node);
  const action = await page.locator(`tr[data-node="${node}"] .action-status`).innerText();
  await shot(page, 'operator-with-token');
  return { refused, errorHidden, action };
});
