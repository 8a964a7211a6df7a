// Parses HLS playlists with hls-parser (from npm, strict mode: it throws on what the spec forbids) and prints what
// it read as one JSON line, so a test can check our live playlists against a parser nobody here wrote.
import HLS from 'hls-parser';

HLS.setOptions({ strictMode: true });
const results = [];
for (const url of process.argv.slice(2)) {
  const text = await (await fetch(url)).text();
  const playlist = HLS.parse(text);
  if (playlist.isMasterPlaylist) {
    results.push({ url, master: true, variants: playlist.variants.length, audio: playlist.variants[0]?.audio?.length ?? 0 });
    continue;
  }

  const segments = playlist.segments;
  const parts = segments.flatMap(s => s.parts ?? []).concat(playlist.prefetchSegments?.flatMap(s => s.parts ?? []) ?? []);
  results.push({
    url, master: false, version: playlist.version, targetDuration: playlist.targetDuration, partTarget: playlist.partTargetDuration,
    canBlockReload: playlist.lowLatencyCompatibility?.canBlockReload ?? false,
    canSkipUntil: playlist.lowLatencyCompatibility?.canSkipUntil ?? null,
    partHoldBack: playlist.lowLatencyCompatibility?.partHoldBack ?? null,
    segments: segments.length, parts: parts.length, skipped: playlist.skip ?? 0,
    programDateTimes: segments.filter(s => s.programDateTime).length,
    preloadHints: (playlist.prefetchSegments ?? []).length + segments.filter(s => s.parts?.some(p => p.hint)).length,
    renditionReports: (playlist.renditionReports ?? []).length, endlist: playlist.endlist,
  });
}

console.log(JSON.stringify(results));
