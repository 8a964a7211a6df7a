// Plays the live title's low-latency MPD through steering with dash.js for --seconds and reports the latency
// behind live dash.js measures and every stall.
import { run, until, playerStatus } from './browser.mjs';

await run(async ({ options, open, shot }) => {
  const seconds = Number(options.seconds || 20);
  const player = await open(options.player);
  await until(player, 'live playback', () => window.edgePlayer.state === 'playing' && window.edgePlayer.live && window.edgePlayer.latency !== null, null, 60000);
  const start = (await playerStatus(player)).currentTime;
  await until(player, 'the play time', ([from, total]) => window.edgePlayer.state === 'failed' || window.edgePlayer.currentTime >= from + total, [start, seconds], seconds * 3000);
  const status = await playerStatus(player);
  const facts = await player.evaluate(() => ({ latencies: window.edgePlayer.latencies, stalls: window.edgePlayer.stalls, lowLatency: window.edgePlayer.lowLatency }));
  await shot(player, 'live-dash');
  const sorted = [...facts.latencies].sort((a, b) => a - b);
  return { start, status, lowLatency: facts.lowLatency, samples: sorted.length, latencyP50: sorted[Math.floor(sorted.length / 2)], stalls: facts.stalls, played: status.currentTime - start };
});
