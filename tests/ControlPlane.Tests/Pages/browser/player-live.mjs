// Plays the live title with hls.js in low-latency mode through steering for --seconds, kills the serving node
// (SIGKILL) half way, and reports the latency behind live (wall clock against the program date time on screen)
// and every stall.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, until, playerStatus } from './browser.mjs';

await run(async ({ options, open, shot }) => {
  const seconds = Number(options.seconds || 60);
  const player = await open(options.player);
  await until(player, 'live playback with a serving node',
    () => window.edgePlayer.state === 'playing' && window.edgePlayer.live && window.edgePlayer.node && window.edgePlayer.latency !== null, null, 60000);
  const started = await playerStatus(player);
  const startedAt = await player.evaluate(() => window.edgePlayer.currentTime);
  await shot(player, 'live-playing');

  // Half way, the node serving the player dies without a word.
  await until(player, 'half the play time', ([from, half]) => window.edgePlayer.currentTime >= from + half, [startedAt, seconds / 2], seconds * 1000);
  const before = await playerStatus(player);
  const pid = Number(readFileSync(join(options.run, before.node + '.pid'), 'utf8'));
  process.kill(pid, 'SIGKILL');
  const killedAt = before.currentTime;

  await until(player, 'the rest of the play time', ([from, total]) => window.edgePlayer.state === 'failed' || window.edgePlayer.currentTime >= from + total,
    [startedAt, seconds], seconds * 2000);
  const after = await playerStatus(player);
  const facts = await player.evaluate(() => ({ latencies: window.edgePlayer.latencies, stalls: window.edgePlayer.stalls, lowLatency: window.edgePlayer.lowLatency }));
  await shot(player, 'live-after-failover');
  const sorted = [...facts.latencies].sort((a, b) => a - b);
  const at = q => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    killedNode: before.node, killedAt, started: started.node, after,
    lowLatency: facts.lowLatency, samples: sorted.length, latencyP50: at(0.5), latencyP90: at(0.9), latencyMax: sorted[sorted.length - 1],
    stalls: facts.stalls, played: after.currentTime - startedAt,
  };
});
