namespace Edge.Encoder.Ladder;

/// <summary>The rate-quality convex hull, and rungs chosen along it.</summary>
public static class ConvexHull
{
    /// <summary>
    /// The upper convex hull of the trials in (log rate, quality): the points no mix of other encodes beats.
    /// Points that cost more and look no better than a cheaper one are dropped first.
    /// </summary>
    public static List<QualityPoint> Build(IEnumerable<QualityPoint> points)
    {
        var efficient = new List<QualityPoint>();
        foreach (var point in points.OrderBy(p => p.Bitrate).ThenByDescending(p => p.Quality))
        {
            if (efficient.Count == 0 || point.Quality > efficient[^1].Quality)
            {
                efficient.Add(point);
            }
        }

        var hull = new List<QualityPoint>();
        foreach (var point in efficient)
        {
            while (hull.Count >= 2 && !TurnsRight(hull[^2], hull[^1], point))
            {
                hull.RemoveAt(hull.Count - 1);
            }

            hull.Add(point);
        }

        return hull;
    }

    /// <summary>
    /// Rungs along the hull: the top one is the cheapest point that reaches <paramref name="target"/> (or the best
    /// point, when none does) but no dearer than <paramref name="maxBitrate"/>; each next one costs
    /// <paramref name="step"/> times less, down to <paramref name="minBitrate"/>. Easy content reaches the target
    /// early, so it gets a cheaper top rung and fewer rungs.
    /// </summary>
    public static List<(int Height, long Bitrate, double Quality)> ChooseRungs(
        IReadOnlyList<QualityPoint> hull, double target, long maxBitrate, long minBitrate, double step, int maxRungs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(step, 1.0);
        var top = hull.FirstOrDefault(p => p.Quality >= target) ?? hull[^1];
        var rate = Math.Max(minBitrate, Math.Min(top.Bitrate, maxBitrate));
        var rungs = new List<(int, long, double)>();
        while (rungs.Count < maxRungs)
        {
            var (height, quality) = At(hull, rate);
            rungs.Add((height, rate, quality));
            var next = (long)(rate / step);
            if (next < minBitrate || next < hull[0].Bitrate / 2)
            {
                break;
            }

            rate = next;
        }

        rungs.Reverse();
        return rungs;
    }

    /// <summary>The resolution that is on the hull at <paramref name="bitrate"/>, and the quality it predicts there.</summary>
    public static (int Height, double Quality) At(IReadOnlyList<QualityPoint> hull, long bitrate)
    {
        if (bitrate <= hull[0].Bitrate)
        {
            return (hull[0].Height, hull[0].Quality);
        }

        for (var i = 1; i < hull.Count; i++)
        {
            if (bitrate <= hull[i].Bitrate)
            {
                var (a, b) = (hull[i - 1], hull[i]);
                var t = Math.Log((double)bitrate / a.Bitrate) / Math.Log((double)b.Bitrate / a.Bitrate);
                return (t < 0.5 ? a.Height : b.Height, a.Quality + (t * (b.Quality - a.Quality)));
            }
        }

        return (hull[^1].Height, hull[^1].Quality);
    }

    // True when b lies strictly above the chord from a to c, so that b stays on the upper hull.
    private static bool TurnsRight(QualityPoint a, QualityPoint b, QualityPoint c)
    {
        var (ax, bx, cx) = (Math.Log(a.Bitrate), Math.Log(b.Bitrate), Math.Log(c.Bitrate));
        var cross = ((bx - ax) * (c.Quality - a.Quality)) - ((b.Quality - a.Quality) * (cx - ax));
        return cross < 0;
    }
}
