'use strict';

// Plays a title through the control plane's content steering (/v1/play/...) and shows which node serves it:
// HLS with hls.js, DASH with dash.js, or either with Shaka Player (?engine=shaka).
// window.edgePlayer holds the same facts the page shows, for scripts and tests.
(() => {
  const params = new URLSearchParams(location.search);
  const src = params.get('src') || '/sample/master.m3u8';
  const bufferSeconds = Math.max(2, Number(params.get('buffer')) || 30);
  // ?api= names the control plane to play through when the page is served from another origin (as a site's own
  // page would be); by default it is the one serving the page.
  const api = /^https?:\/\/[^/?#]+$/.test(params.get('api') || '') ? params.get('api') : '';
  const playUrl = api + '/v1/play' + (src.startsWith('/') ? src : '/' + src);
  const video = document.getElementById('video');
  const $ = id => document.getElementById(id);

  // Common Media Client Data (CTA-5004) on every request, in the query (headers would need a CORS preflight per
  // request): the edges count sessions, rebuffering and bitrate from it and prefetch each segment's successor.
  const cmcdSession = typeof crypto.randomUUID === 'function' ? crypto.randomUUID()
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), b => b.toString(16).padStart(2, '0')).join('');
  const cmcdContent = src.replace(/^\/+/, '').split('/')[0].slice(0, 64);

  const status = window.edgePlayer = {
    src, playUrl, cmcdSession, engine: null, state: 'loading', currentTime: 0, bufferAhead: 0,
    rendition: null, node: null, cache: null, nodes: [], nodeChanges: 0, segments: 0, errors: [], events: [],
    live: false, lowLatency: false, latency: null, latencies: [], stalls: [], partsMarked: 0,
  };

  $('src').value = src;
  $('source').addEventListener('submit', e => {
    e.preventDefault();
    const next = new URLSearchParams(location.search);
    next.set('src', $('src').value.trim() || '/sample/master.m3u8');
    location.search = next.toString();
  });

  function log(text) {
    const at = new Date().toISOString().slice(11, 23);
    status.events.push(at + ' ' + text);
    const item = document.createElement('li');
    item.textContent = at + '  ' + text;
    const list = $('log');
    list.prepend(item);
    while (list.children.length > 50) list.lastChild.remove();
  }

  function setState(state) {
    if (status.state === state) return;
    status.state = state;
    $('state').textContent = state;
    $('state').className = 'badge ' + state;
    log('state: ' + state);
  }

  // RFC 9211: the list runs from the origin towards the player, so the last entry is the node that answered.
  function servingNode(cacheStatus) {
    if (!cacheStatus) return null;
    const entries = cacheStatus.split(',');
    const last = entries[entries.length - 1].trim();
    const [name, ...parameters] = last.split(';').map(p => p.trim());
    return { node: name.replace(/^"|"$/g, ''), detail: parameters.join('; ') };
  }

  function segmentServed(cacheStatus, fallbackNode) {
    status.segments++;
    $('segments').textContent = String(status.segments);
    const served = servingNode(cacheStatus) || (fallbackNode ? { node: fallbackNode, detail: '' } : null);
    if (!served) return;
    status.cache = served.detail;
    $('cache').textContent = served.detail || '–';
    if (served.node !== status.node) {
      if (status.node !== null) {
        status.nodeChanges++;
        $('changes').textContent = String(status.nodeChanges);
      }
      log('serving node: ' + served.node + (status.node ? ' (was ' + status.node + ')' : ''));
      status.node = served.node;
      if (!status.nodes.includes(served.node)) status.nodes.push(served.node);
      $('node').textContent = served.node;
    }
  }

  function setRendition(height, bitrate, codecs) {
    const text = (height ? height + 'p' : 'audio') + ' · ' + (bitrate / 1e6).toFixed(2) + ' Mbit/s' + (codecs ? ' · ' + codecs : '');
    if (text === status.rendition) return;
    status.rendition = text;
    $('rendition').textContent = text;
    log('rendition: ' + text);
  }

  function error(text) {
    status.errors.push(text);
    log('error: ' + text);
  }

  function tick() {
    const t = video.currentTime;
    let ahead = 0;
    for (let i = 0; i < video.buffered.length; i++) {
      if (video.buffered.start(i) <= t + 0.1 && video.buffered.end(i) > t) ahead = video.buffered.end(i) - t;
    }
    status.currentTime = t;
    status.bufferAhead = ahead;
    const latency = liveLatency();
    if (latency !== null) {
      status.latency = latency;
      if (status.state === 'playing') status.latencies.push(latency);
      if (status.latencies.length > 2400) status.latencies.shift();
      $('latency').textContent = latency.toFixed(2) + ' s' + (status.lowLatency ? ' (low latency)' : '');
    }
    catchUpToLive();
    $('time').textContent = t.toFixed(1) + ' s' + (isFinite(video.duration) ? ' of ' + video.duration.toFixed(1) + ' s' : '');
    $('buffer').textContent = ahead.toFixed(1) + ' s';
  }
  setInterval(tick, 250);

  // hls.js speeds playback up towards its target latency only from within a target duration of it; further behind
  // (a slow start, a long stall) it takes the viewer for one watching the DVR window and stays there for good. A
  // viewer who has not touched the controls goes back to live: into what is buffered when it reaches that far, so
  // the jump does not stall the picture.
  let viewerMoved = false;
  let caughtUpAt = 0;
  for (const event of ['pointerdown', 'keydown']) video.addEventListener(event, () => { viewerMoved = true; });
  function catchUpToLive() {
    const hls = window.edgeHls;
    if (!hls || !status.live || viewerMoved || video.paused || video.seeking || status.state !== 'playing') return;
    const details = hls.latestLevelDetails;
    const target = hls.targetLatency;
    const sync = hls.liveSyncPosition;
    if (!details || !details.live || target === null || sync === null || performance.now() - caughtUpAt < 5000) return;
    const behind = hls.latency - target;
    if (!(behind > details.targetduration + 0.5) || sync <= video.currentTime) return;
    let to = sync;
    for (let i = 0; i < video.buffered.length; i++) {
      const [start, end] = [video.buffered.start(i), video.buffered.end(i)];
      if (start <= video.currentTime + 0.1 && end > video.currentTime) to = Math.min(sync, Math.max(video.currentTime, end - 1));
    }
    if (to - video.currentTime < 1) return;
    caughtUpAt = performance.now();
    log('back to live: ' + behind.toFixed(1) + ' s behind the target of ' + target.toFixed(1) + ' s, ' + (to - video.currentTime).toFixed(1) + ' s ahead');
    video.currentTime = to;
  }

  // Wall clock minus the program date time of the frame on screen: how far behind live the viewer is.
  function liveLatency() {
    if (!status.live) return null;
    if (window.edgeHls && window.edgeHls.playingDate) return (Date.now() - window.edgeHls.playingDate.getTime()) / 1000;
    if (window.edgeDash && window.edgeDash.isDynamic && window.edgeDash.isDynamic()) {
      const l = window.edgeDash.getCurrentLiveLatency();
      return Number.isFinite(l) && l > 0 ? l : null;
    }
    return null;
  }

  // Stalls while playing: when the picture froze and for how long, so a viewer (or a test) sees every one.
  let stalledAt = null;
  video.addEventListener('playing', () => {
    if (stalledAt !== null) {
      status.stalls.push((performance.now() - stalledAt) / 1000);
      stalledAt = null;
    }
    setState('playing');
  });
  video.addEventListener('waiting', () => {
    if (status.state === 'playing') stalledAt = performance.now();
    setState('buffering');
  });
  video.addEventListener('pause', () => { if (!video.ended) setState('paused'); });
  video.addEventListener('ended', () => setState('ended'));

  function playHls() {
    if (!window.Hls || !Hls.isSupported()) return false;
    status.engine = 'hls.js ' + Hls.version;
    // A failed request is retried after a quarter second, not one to eight: a low-latency player holds ~1.5 s of
    // media, and the retry (or the next pathway) has to come in time.
    const quick = (timeToFirstByte, load, retries) => ({ default: {
      maxTimeToFirstByteMs: timeToFirstByte, maxLoadTimeMs: load,
      timeoutRetry: { maxNumRetry: retries, retryDelayMs: 0, maxRetryDelayMs: 0 },
      errorRetry: { maxNumRetry: retries, retryDelayMs: 250, maxRetryDelayMs: 1000 },
    } });
    const hls = new Hls({
      lowLatencyMode: true, maxLiveSyncPlaybackRate: 1.5,
      maxBufferLength: bufferSeconds, maxMaxBufferLength: bufferSeconds * 2, backBufferLength: 30,
      playlistLoadPolicy: quick(10000, 20000, 2), fragLoadPolicy: quick(10000, 120000, 6),
      cmcd: { sessionId: cmcdSession, contentId: cmcdContent, useHeaders: false },
      debug: params.get('debug') === '1',
    });
    window.edgeHls = hls;
    hls.on(Hls.Events.MANIFEST_PARSED, (_, data) => log('steered playlist: ' + data.levels.length + ' variants'));
    hls.on(Hls.Events.LEVEL_LOADED, (_, data) => {
      if (data.details.live && !status.live) {
        status.live = true;
        status.lowLatency = !!data.details.partList;
        log('live' + (status.lowLatency ? ', low latency: parts of ' + data.details.partTarget + ' s, hold back ' + data.details.partHoldBack + ' s' : ''));
      }
    });
    hls.on(Hls.Events.LEVEL_SWITCHED, (_, data) => {
      const level = hls.levels[data.level];
      if (level) setRendition(level.height, level.bitrate, level.videoCodec);
    });
    hls.on(Hls.Events.STEERING_MANIFEST_LOADED, (_, data) => log('steering: ' + (data.steeringManifest['PATHWAY-PRIORITY'] || []).join(' > ')));
    hls.on(Hls.Events.FRAG_LOADED, (_, data) => {
      if (data.frag.type !== 'main' || data.frag.sn === 'initSegment') return;
      const xhr = data.networkDetails;
      const header = xhr && typeof xhr.getResponseHeader === 'function' ? xhr.getResponseHeader('Cache-Status') : null;
      const level = hls.levels[data.frag.level];
      segmentServed(header, level && level.pathwayId);
    });
    hls.on(Hls.Events.ERROR, (_, data) => {
      error((data.fatal ? 'fatal ' : '') + data.details + (data.response && data.response.code !== undefined ? ' (' + data.response.code + ')' : ''));
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
      else setState('failed');
    });
    hls.on(Hls.Events.LEVEL_LOADED, () => markBufferedParts(hls));
    hls.on(Hls.Events.AUDIO_TRACK_LOADED, () => markBufferedParts(hls));
    setInterval(() => markBufferedParts(hls), 250);
    hls.loadSource(playUrl);
    hls.attachMedia(video);
    return true;
  }

  // A live rendition met first on another pathway (its edge died) lists the parts already played from the old one
  // as not loaded. Chromium ends a buffer up to a few µs short of a part's end (it rounds each frame down to whole
  // µs), so hls.js 1.7 finds the buffered segment again, takes it for a loading loop and fetches nothing until the
  // playlist drops those parts: a 2-3 s stall. Parts lying wholly in what is buffered are marked loaded, as hls.js
  // itself does when it reloads the same rendition's playlist.
  function markBufferedParts(hls) {
    const mark = (details, buffer, type) => {
      if (!details || !details.live || !details.partList || !buffer || !(buffer.end > buffer.start)) return 0;
      let marked = 0;
      for (const part of details.partList) {
        if (part.loaded || part.gap || part.start < buffer.start - 0.001 || part.end > buffer.end + 0.001) continue;
        const streams = { audio: null, video: null, audiovideo: null };
        streams[type] = { startPTS: part.start, endPTS: part.end, startDTS: part.start, endDTS: part.end, partial: false };
        part.elementaryStreams = streams;
        marked++;
      }
      return marked;
    };
    const level = hls.levels[hls.loadLevel] || hls.levels[hls.currentLevel];
    const audio = hls.audioTracks[hls.audioTrack];
    const separateAudio = !!(audio && audio.details);
    const video = mark(level && level.details, hls.mainForwardBufferInfo, separateAudio ? 'video' : 'audiovideo');
    const sound = separateAudio ? mark(audio.details, hls.audioForwardBufferInfo, 'audio') : 0;
    if (video + sound === 0) return;
    status.partsMarked += video + sound;
    log('buffered parts marked loaded: ' + video + ' video, ' + sound + ' audio');
  }

  function playDash() {
    if (!window.dashjs) return false;
    const player = dashjs.MediaPlayer().create();
    status.engine = 'dash.js ' + player.getVersion();
    window.edgeDash = player;
    // A failed segment is tried once more after a quarter second, then from the next service location: dash.js
    // would try the dead node three times, a second apart, and the picture would stop meanwhile.
    const quick = { MediaSegment: 250, InitializationSegment: 250 };
    player.updateSettings({ streaming: {
      buffer: { bufferTimeAtTopQuality: bufferSeconds, bufferTimeAtTopQualityLongForm: bufferSeconds, bufferTimeDefault: bufferSeconds },
      retryAttempts: { MediaSegment: 1, InitializationSegment: 1 }, retryIntervals: quick,
      cmcd: { enabled: true, sid: cmcdSession, cid: cmcdContent, mode: 'query' },
    } });
    // Headers reach only the response interceptor; the fragment event says which segment it was.
    const cacheStatusByUrl = new Map();
    player.addResponseInterceptor(response => {
      const url = response.url || (response.request && response.request.url);
      const headers = response.headers || {};
      const key = Object.keys(headers).find(k => k.toLowerCase() === 'cache-status');
      if (url && key) {
        cacheStatusByUrl.set(url, headers[key]);
        if (cacheStatusByUrl.size > 100) cacheStatusByUrl.delete(cacheStatusByUrl.keys().next().value);
      }
      return Promise.resolve(response);
    });
    player.on(dashjs.MediaPlayer.events.FRAGMENT_LOADING_COMPLETED, e => {
      const request = e.request;
      if (!request || request.mediaType !== 'video' || request.type !== 'MediaSegment') return;
      segmentServed(cacheStatusByUrl.get(request.url) || null, request.serviceLocation || null);
    });
    player.on(dashjs.MediaPlayer.events.QUALITY_CHANGE_RENDERED, e => {
      const r = e.newRepresentation;
      if (e.mediaType === 'video' && r) setRendition(r.height, r.bandwidth, r.codecs);
    });
    player.on(dashjs.MediaPlayer.events.STREAM_INITIALIZED, () => {
      if (player.isDynamic()) {
        status.live = true;
        // dash.js turns low-latency mode on by itself for an MPD with availabilityTimeComplete=false.
        status.lowLatency = typeof player.getLowLatencyModeEnabled === 'function' && player.getLowLatencyModeEnabled();
        log('live');
      }
    });
    player.on(dashjs.MediaPlayer.events.ERROR, e => error('dash.js ' + JSON.stringify(e.error && (e.error.message || e.error.code) || e.error)));
    player.initialize(video, playUrl, true);
    return true;
  }

  // Shaka Player plays HLS and DASH alike; it is loaded only when asked for (?engine=shaka).
  function playShaka() {
    const player = new shaka.Player();
    window.edgeShaka = player;
    status.engine = 'Shaka Player ' + shaka.Player.version;
    // As with hls.js: a failed request goes to the next location after a quarter second, not one to eight.
    const retry = { maxAttempts: 4, baseDelay: 250, backoffFactor: 1, fuzzFactor: 0, timeout: 20000, stallTimeout: 5000, connectionTimeout: 5000 };
    player.configure({
      streaming: { bufferingGoal: bufferSeconds, rebufferingGoal: 1, bufferBehind: 30, retryParameters: retry, lowLatencyMode: true },
      manifest: { retryParameters: retry },
      // Not for HLS: Shaka bans a failed pathway by the exact URL it asked for, CMCD query included, so it would never
      // leave a dead node for another pathway.
      cmcd: { enabled: !/\.m3u8(\?|$)/.test(src), sessionId: cmcdSession, contentId: cmcdContent, useHeaders: false },
    });
    const net = shaka.net.NetworkingEngine;
    player.getNetworkingEngine().registerResponseFilter((type, response, context) => {
      if (type !== net.RequestType.SEGMENT || !context || context.type !== net.AdvancedRequestType.MEDIA_SEGMENT) return;
      if (context.stream && context.stream.type !== 'video') return;
      segmentServed(response.headers['cache-status'] || null, null);
    });
    player.addEventListener('adaptation', () => {
      const track = player.getVariantTracks().find(t => t.active);
      if (track) setRendition(track.height, track.videoBandwidth || track.bandwidth, track.videoCodec);
    });
    player.addEventListener('loaded', () => {
      if (player.isLive()) {
        status.live = true;
        status.lowLatency = true;
        log('live');
      }
      const track = player.getVariantTracks().find(t => t.active);
      if (track) setRendition(track.height, track.videoBandwidth || track.bandwidth, track.videoCodec);
    });
    player.addEventListener('error', e => {
      const detail = e.detail || {};
      error('Shaka ' + (detail.severity === shaka.util.Error.Severity.CRITICAL ? 'critical ' : '') + detail.code);
      if (detail.severity === shaka.util.Error.Severity.CRITICAL) setState('failed');
    });
    player.attach(video)
      .then(() => player.load(playUrl))
      .then(() => video.play().catch(() => log('autoplay blocked: press play')))
      .catch(e => { error('Shaka ' + (e && e.code)); setState('failed'); });
    return true;
  }

  function start() {
    if (params.get('engine') === 'shaka') {
      shaka.polyfill.installAll();
      if (!shaka.Player.isBrowserSupported()) return false;
      return playShaka();
    }
    return /\.mpd(\?|$)/i.test(src) ? playDash() : (playHls() || (video.canPlayType('application/vnd.apple.mpegurl') && (video.src = playUrl, status.engine = 'native HLS', true)));
  }

  function begin() {
    const started = start();
    if (!started) {
      setState('failed');
      error('this browser has no Media Source Extensions');
    }
    $('engine').textContent = status.engine || 'none';
    video.play().catch(() => log('autoplay blocked: press play'));
  }

  $('engine').textContent = 'starting';
  if (params.get('engine') === 'shaka' && !window.shaka) {
    const script = document.createElement('script');
    script.src = '/ui/vendor/shaka-player.compiled.js';
    script.onload = begin;
    script.onerror = () => { setState('failed'); error('Shaka Player could not be loaded'); };
    document.head.append(script);
  } else {
    begin();
  }
})();
