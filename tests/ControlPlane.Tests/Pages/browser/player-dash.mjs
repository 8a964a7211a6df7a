// Plays the DASH manifest through steering with dash.js for three segments.
import { run, until, playerStatus } from './browser.mjs';

await run(async ({ options, open, shot }) => {
  const segment = Number(options.segment);
  const player = await open(options.player);
  await until(player, 'playing', () => window.edgePlayer.state === 'playing', null, 60000);
  const start = (await playerStatus(player)).currentTime;
  await until(player, 'three segments played', ([from, s]) => window.edgePlayer.currentTime >= from + 3 * s, [start, segment], 60000);
  await until(player, 'a serving node and a rendition', () => window.edgePlayer.node && window.edgePlayer.rendition);
  const status = await playerStatus(player);
  const shown = { node: await player.locator('#node').innerText(), rendition: await player.locator('#rendition').innerText() };
  await shot(player, 'player-dash');
  return { start, status, shown };
});
