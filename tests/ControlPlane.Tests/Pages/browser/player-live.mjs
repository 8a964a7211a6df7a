// Plays the live title with hls.js in low-latency mode through steering for --seconds, kills the serving node
// (SIGKILL) half way, and reports the latency behind live (wall clock against the program date time on screen)
// and every stall.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, until, playerStatus } from './browser.mjs';

await run(async ({ options, open, shot }) => {
  const seconds = Number(options.seconds || 60);
  const player = await open(options.player);
  // The player's requests around the kill, to show where time went if it stalls.
  const requests = [];
  const t0 = Date.now();
  player.on('requestfinished', async r => {
    const timing = r.timing();
    const response = await r.response();
    requests.push({ at: ((Date.now() - t0) / 1000).toFixed(2), url: r.url().replace(/^http:\/\/127\.0\.0\.1:/, ''), status: response ? response.status() : 0, ms: Math.round(timing.responseEnd) });
    if (requests.length > 4000) requests.shift();
  });
  const consoleLines = [];
  player.on('console', m => { if (/stream-controller|level-controller|content-steering|error-controller|buffer-controller|gap-controller/.test(m.text())) consoleLines.push(((Date.now() - t0) / 1000).toFixed(2) + ' ' + m.text().slice(0, 300)); });
  player.on('requestfailed', r => requests.push({ at: ((Date.now() - t0) / 1000).toFixed(2), url: r.url().replace(/^http:\/\/127\.0\.0\.1:/, ''), failed: r.failure() && r.failure().errorText }));
  await until(player, 'live playback with a serving node',
    () => window.edgePlayer.state === 'playing' && window.edgePlayer.live && window.edgePlayer.node && window.edgePlayer.latency !== null, null, 60000);
  const started = await playerStatus(player);
  const startedAt = await player.evaluate(() => window.edgePlayer.currentTime);
  await shot(player, 'live-playing');

  // Half way, the node serving the player dies without a word.
  await until(player, 'half the play time', ([from, half]) => window.edgePlayer.currentTime >= from + half, [startedAt, seconds / 2], seconds * 1000);
  const before = await playerStatus(player);
  const pid = Number(readFileSync(join(options.run, before.node + '.pid'), 'utf8'));
  // hls.js's own view next to the page's: its latency (live edge minus position), the target it steers to, and the
  // stalls that raised that target.
  const atKill = await player.evaluate(() => ({
    latencies: window.edgePlayer.latencies.length, stalls: window.edgePlayer.stalls.length,
    hls: { latency: window.edgeHls.latency, targetLatency: window.edgeHls.targetLatency, rate: document.querySelector('video').playbackRate,
      stallCount: window.edgeHls.latencyController ? window.edgeHls.latencyController.stallCount : null },
  }));
  process.kill(pid, 'SIGKILL');
  const killedAt = before.currentTime;
  const killedClock = ((Date.now() - t0) / 1000).toFixed(2);

  await until(player, 'the rest of the play time', ([from, total]) => window.edgePlayer.state === 'failed' || window.edgePlayer.currentTime >= from + total,
    [startedAt, seconds], seconds * 2000);
  const after = await playerStatus(player);
  const facts = await player.evaluate(() => ({ latencies: window.edgePlayer.latencies, stalls: window.edgePlayer.stalls, lowLatency: window.edgePlayer.lowLatency, partsMarked: window.edgePlayer.partsMarked }));
  await shot(player, 'live-after-failover');

  // A viewer left far behind live, as a slow start or a long stall leaves one, is brought back near it by the page
  // (hls.js itself would stay there): 8 s back into what is buffered, then the latency once the page has jumped.
  const jumpsBefore = await player.evaluate(() => window.edgePlayer.events.filter(e => e.includes('back to live')).length);
  const leftBehind = await player.evaluate(() => {
    const video = document.querySelector('video');
    video.currentTime = Math.max(0, video.currentTime - 8);
    return window.edgePlayer.currentTime;
  });
  await until(player, 'the page to bring the viewer back to live',
    from => window.edgePlayer.events.filter(e => e.includes('back to live')).length > from && window.edgePlayer.state === 'playing', jumpsBefore, 20000);
  await until(player, 'the latency after the jump to settle', () => window.edgePlayer.latency !== null && window.edgePlayer.latency < 5, null, 10000);
  const caughtUp = await player.evaluate(() => ({ latency: window.edgePlayer.latency, jump: window.edgePlayer.events.filter(e => e.includes('back to live')).pop() }));
  const quantiles = list => {
    const sorted = [...list].sort((a, b) => a - b);
    const at = q => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return { samples: sorted.length, p50: at(0.5), p90: at(0.9), max: sorted[sorted.length - 1] };
  };
  return {
    killedNode: before.node, killedAt, started: started.node, after, lowLatency: facts.lowLatency,
    // Steady state before the kill, the whole run, and the last ten seconds (caught up again after failover).
    beforeKill: { ...quantiles(facts.latencies.slice(0, atKill.latencies)), hls: atKill.hls }, whole: quantiles(facts.latencies), lastTen: quantiles(facts.latencies.slice(-40)),
    stallsBeforeKill: facts.stalls.slice(0, atKill.stalls), stallsAfterKill: facts.stalls.slice(atKill.stalls),
    played: after.currentTime - startedAt, killedClock, partsMarked: facts.partsMarked, caughtUp: { ...caughtUp, leftBehind },
    consoleAroundKill: consoleLines.filter(l => Math.abs(Number(l.split(' ')[0]) - Number(killedClock)) < 8),
    requestsAroundKill: requests.filter(r => Math.abs(Number(r.at) - Number(killedClock)) < 8),
  };
});
