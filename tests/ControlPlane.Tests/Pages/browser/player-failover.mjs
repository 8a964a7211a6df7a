// Plays HLS through steering, kills the node serving it (SIGKILL, by the pid the demo recorded), and checks that
// playback goes on from another node and that the operator page shows the killed node down.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, until, playerStatus } from './browser.mjs';

await run(async ({ options, open, shot }) => {
  const segment = Number(options.segment);
  const player = await open(options.player);
  await until(player, 'playing with a serving node', () => window.edgePlayer.state === 'playing' && window.edgePlayer.node, null, 60000);
  await until(player, 'the first segment played', s => window.edgePlayer.currentTime > s * 1.25, segment);
  const before = await playerStatus(player);
  await shot(player, 'player-playing');

  const pid = Number(readFileSync(join(options.run, before.node + '.pid'), 'utf8'));
  process.kill(pid, 'SIGKILL');
  const { currentTime: killedAt, segments: loadedAtKill } = await playerStatus(player);

  // Three more segments fetched (from another node) and played, without the player giving up.
  await until(player, 'three segments fetched and played after the kill',
    ([from, loaded, s]) => window.edgePlayer.state === 'failed'
      || (window.edgePlayer.currentTime >= from + 3 * s && window.edgePlayer.segments >= loaded + 3), [killedAt, loadedAtKill, segment], 60000);
  const after = await playerStatus(player);
  await shot(player, 'player-after-failover');

  const operator = await open(options.operator);
  await until(operator, 'the operator page to show ' + before.node + ' down',
    node => document.querySelector(`tr[data-node="${node}"]`)?.dataset.state === 'down', before.node, 30000);
  const row = await operator.locator(`tr[data-node="${before.node}"]`).innerText();
  await shot(operator, 'operator-node-down');
  return { killedNode: before.node, killedPid: pid, killedAt, loadedAtKill, before, after, operatorRow: row };
});
