using Edge.EdgeServer.Metrics;
using Prometheus;

namespace Edge.EdgeServer.Cmcd;

/// <summary>
/// The node's quality of experience as its players report it in CMCD: Prometheus metrics whose labels come only
/// from the spec's fixed token sets (so a player cannot create series), and a rolling five-minute summary for the
/// heartbeat and the operator page.
/// </summary>
internal sealed class CmcdQuality
{
    /// <summary>How long a session counts as active after its last request.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    /// <summary>The most sessions tracked at once; beyond it new ones are counted but not remembered.</summary>
    public const int MaxSessions = 100_000;

    private static readonly string[] ObjectTypes = ["m", "a", "v", "av", "i", "c", "tt", "k", "o", "none"];
    private static readonly string[] Formats = ["d", "h", "s", "o", "none"];

    private readonly TimeProvider _time;
    private readonly Counter.Child[,] _requests;
    private readonly Counter _starvation;
    private readonly Counter _startup;
    private readonly Counter _newSessions;
    private readonly Histogram _throughput;
    private readonly Histogram _bitrate;
    private readonly Histogram _bufferLength;
    private readonly Dictionary<string, long> _sessions = new(StringComparer.Ordinal);
    private readonly Bucket[] _buckets = new Bucket[(int)Window.TotalMinutes];

    public CmcdQuality(EdgeMetrics metrics, TimeProvider time)
    {
        _time = time;
        var factory = metrics.Factory;
        var requests = factory.CreateCounter("edge_cmcd_requests_total", "Requests carrying CMCD, by object type (ot) and streaming format (sf); none where the player did not say.", ["ot", "sf"]);
        _requests = new Counter.Child[ObjectTypes.Length, Formats.Length];
        for (var o = 0; o < ObjectTypes.Length; o++)
        {
            for (var f = 0; f < Formats.Length; f++)
            {
                _requests[o, f] = requests.WithLabels(ObjectTypes[o], Formats[f]);
            }
        }

        _starvation = factory.CreateCounter("edge_cmcd_buffer_starvation_total", "Requests whose player reported its buffer ran empty since its last request (CMCD bs): rebuffering.");
        _startup = factory.CreateCounter("edge_cmcd_startup_total", "Requests a player needed to start or resume playback (CMCD su).");
        _newSessions = factory.CreateCounter("edge_cmcd_sessions_total", "Playback sessions (CMCD sid) seen for the first time within the activity window.");
        var active = factory.CreateGauge("edge_cmcd_sessions_active", "Playback sessions (CMCD sid) with a request in the last 5 minutes.");
        _throughput = factory.CreateHistogram("edge_cmcd_measured_throughput_kbps", "Throughput players measured (CMCD mtp), kbit/s.", new HistogramConfiguration
        {
            Buckets = [500, 1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 1000000],
        });
        _bitrate = factory.CreateHistogram("edge_cmcd_encoded_bitrate_kbps", "Encoded bitrate of the media objects players asked for (CMCD br), kbit/s.", new HistogramConfiguration
        {
            Buckets = [150, 300, 600, 1200, 2400, 4800, 9600, 19200, 38400],
        });
        _bufferLength = factory.CreateHistogram("edge_cmcd_buffer_length_seconds", "Players' buffer length when they asked (CMCD bl).", new HistogramConfiguration
        {
            Buckets = [0.5, 1, 2, 4, 8, 15, 30, 60, 120],
        });
        metrics.Registry.AddBeforeCollectCallback(() => active.Set(Summary().Sessions));
    }

    /// <summary>Counts one request's CMCD.</summary>
    public void Record(CmcdData data)
    {
        _requests[Index(ObjectTypes, data.ObjectType), Index(Formats, data.StreamingFormat)].Inc();
        if (data.BufferStarvation)
        {
            _starvation.Inc();
        }

        if (data.Startup)
        {
            _startup.Inc();
        }

        if (data.MeasuredThroughput is { } mtp)
        {
            _throughput.Observe(mtp);
        }

        var media = data.ObjectType is null or "a" or "v" or "av";
        if (data.Bitrate is { } br && media)
        {
            _bitrate.Observe(br);
        }

        if (data.BufferLength is { } bl)
        {
            _bufferLength.Observe(bl / 1000.0);
        }

        var now = _time.GetTimestamp();
        var minute = (long)(_time.GetElapsedTime(0, now).TotalMinutes);
        lock (_sessions)
        {
            if (data.SessionId is { } sid)
            {
                if (_sessions.ContainsKey(sid) || _sessions.Count < MaxSessions)
                {
                    if (!_sessions.ContainsKey(sid))
                    {
                        _newSessions.Inc();
                    }

                    _sessions[sid] = now;
                }
            }

            ref var bucket = ref _buckets[minute % _buckets.Length];
            if (bucket.Minute != minute)
            {
                bucket = new Bucket { Minute = minute };
            }

            bucket.Requests++;
            bucket.Starved += data.BufferStarvation ? 1 : 0;
            if (data.Bitrate is { } bitrate && media)
            {
                bucket.BitrateSum += bitrate;
                bucket.BitrateCount++;
            }
        }
    }

    /// <summary>The last five minutes: active sessions, share of requests after a rebuffer, and mean encoded bitrate.</summary>
    public CmcdSummary Summary()
    {
        var now = _time.GetTimestamp();
        var minute = (long)(_time.GetElapsedTime(0, now).TotalMinutes);
        long requests = 0, starved = 0, bitrateSum = 0, bitrateCount = 0;
        int sessions;
        lock (_sessions)
        {
            foreach (var (sid, seen) in _sessions)
            {
                if (_time.GetElapsedTime(seen, now) > Window)
                {
                    _sessions.Remove(sid);
                }
            }

            sessions = _sessions.Count;
            foreach (var bucket in _buckets)
            {
                if (minute - bucket.Minute < _buckets.Length && bucket.Minute <= minute)
                {
                    requests += bucket.Requests;
                    starved += bucket.Starved;
                    bitrateSum += bucket.BitrateSum;
                    bitrateCount += bucket.BitrateCount;
                }
            }
        }

        return new CmcdSummary(sessions, requests, requests == 0 ? 0 : (double)starved / requests, bitrateCount == 0 ? 0 : bitrateSum / bitrateCount);
    }

    private static int Index(string[] tokens, string? token) => token is null ? tokens.Length - 1 : Math.Max(0, Array.IndexOf(tokens, token));

    private struct Bucket
    {
        public long Minute;
        public long Requests;
        public long Starved;
        public long BitrateSum;
        public long BitrateCount;
    }
}

/// <summary>What players reported to a node over the last five minutes.</summary>
/// <param name="Sessions">Sessions with a request in the window.</param>
/// <param name="Requests">Requests carrying CMCD in the window.</param>
/// <param name="StarvedShare">Share of those requests that followed a rebuffer (CMCD bs).</param>
/// <param name="MeanBitrateKbps">Mean encoded bitrate of the media objects asked for.</param>
internal readonly record struct CmcdSummary(int Sessions, long Requests, double StarvedShare, long MeanBitrateKbps);
