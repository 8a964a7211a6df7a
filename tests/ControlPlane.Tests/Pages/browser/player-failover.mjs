// Plays a title through steering, kills the node serving it (SIGKILL, by the pid the demo recorded), and checks
// that playback goes on from another node; with --operator, also that the operator page shows the killed node
// down. It reports how long after the kill, and after the player's first failed request to the dead node, the
// first media segment came from another node.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, until, playerStatus } from './browser.mjs';

await run(async ({ options, open, shot }) => {
  const segment = Number(options.segment);
  const player = await open(options.player);
  // Media segment requests by node (host and port), with the wall clock they ended at.
  const segments = [];
  const failures = [];
  const isSegment = url => /\.(m4s|mp4|ts)(\?|$)/.test(url) && !/init\./.test(url);
  const portOf = url => new URL(url).host;
  player.on('requestfinished', async r => {
    if (!isSegment(r.url())) return;
    const response = await r.response();
    if (response && response.status() === 200) segments.push({ at: Date.now(), port: portOf(r.url()) });
  });
  player.on('requestfailed', r => failures.push({ at: Date.now(), port: portOf(r.url()), url: r.url() }));

  await until(player, 'playing with a serving node', () => window.edgePlayer.state === 'playing' && window.edgePlayer.node, null, 60000);
  await until(player, 'the first segment played', s => window.edgePlayer.currentTime > s * 1.25, segment);
  const before = await playerStatus(player);
  const origins = await player.evaluate(() => ({ page: location.origin, play: new URL(window.edgePlayer.playUrl, location.href).origin }));
  await shot(player, 'player-playing');

  const pid = Number(readFileSync(join(options.run, before.node + '.pid'), 'utf8'));
  const killedHost = readFileSync(join(options.run, '..', 'topology.json'), 'utf8')
    .match(new RegExp(`"id": "${before.node}"[^}]*"url": "http://([0-9.]+:\\d+)"`))[1];
  process.kill(pid, 'SIGKILL');
  const killedClock = Date.now();
  const { currentTime: killedAt, segments: loadedAtKill } = await playerStatus(player);

  // Three more segments fetched (from another node) and played, without the player giving up.
  await until(player, 'three segments fetched and played after the kill',
    ([from, loaded, s]) => window.edgePlayer.state === 'failed'
      || (window.edgePlayer.currentTime >= from + 3 * s && window.edgePlayer.segments >= loaded + 3), [killedAt, loadedAtKill, segment], 60000);
  const after = await playerStatus(player);
  const stalls = await player.evaluate(() => window.edgePlayer.stalls);
  await shot(player, 'player-after-failover');

  const firstFailure = failures.find(f => f.at >= killedClock && f.port === killedHost);
  const firstElsewhere = segments.find(s => s.at >= killedClock && s.port !== killedHost);
  const failover = {
    sinceKillMs: firstElsewhere ? firstElsewhere.at - killedClock : null,
    sinceFirstFailureMs: firstElsewhere && firstFailure ? Math.max(0, firstElsewhere.at - firstFailure.at) : null,
    failedRequests: failures.filter(f => f.at >= killedClock).length,
    failed: failures.filter(f => f.at >= killedClock).slice(0, 12).map(f => ((f.at - killedClock) / 1000).toFixed(2) + ' ' + f.url.replace(/^http:\/\/127\.0\.0\.1:/, '')),
  };

  let operatorRow = null;
  let operatorActions = null;
  if (options.operator) {
    const operator = await open(options.operator);
    await until(operator, 'the operator page to show ' + before.node + ' down',
      node => document.querySelector(`tr[data-node="${node}"]`)?.dataset.state === 'down', before.node, 30000);
    operatorRow = await operator.locator(`tr[data-node="${before.node}"]`).innerText();
    operatorActions = await operator.locator(`tr[data-node="${before.node}"] button`).evaluateAll(buttons => buttons.map(b => ({ text: b.textContent, disabled: b.disabled })));
    await shot(operator, 'operator-node-down');
  }
  return { origins, killedNode: before.node, killedPid: pid, killedAt, loadedAtKill, before, after, stalls, failover, operatorRow, operatorActions };
});
