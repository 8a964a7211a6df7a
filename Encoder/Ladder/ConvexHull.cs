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
    /// Rungs along the hull. The top one sits where the hull reaches <paramref name="target"/> (or at its best
    /// point, when it never does), no dearer than <paramref name="maxBitrate"/>; each next one costs
    /// <paramref name="step"/> times less, down to <paramref name="minBitrate"/>. Each rung takes the resolution
    /// whose own rate-quality curve is highest at its rate. Easy content reaches the target early, so it gets a
    /// cheaper top rung and fewer rungs.
    /// </summary>
    public static List<(int Height, long Bitrate, double Quality)> ChooseRungs(
        IReadOnlyList<QualityPoint> trials, double target, long maxBitrate, long minBitrate, double step, int maxRungs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(step, 1.0);
        var hull = Build(trials);
        var rate = Math.Max(minBitrate, Math.Min(TopRate(trials, target), maxBitrate));
        var rungs = new List<(int, long, double)>();
        while (rungs.Count < maxRungs)
        {
            var (height, quality) = At(trials, rate);
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

    /// <summary>
    /// The lowest rate at which some resolution reaches <paramref name="target"/>, read off each resolution's own
    /// curve (the hull across resolutions is too sparse to interpolate); the best trial's rate when none does.
    /// </summary>
    public static long TopRate(IReadOnlyList<QualityPoint> trials, double target)
    {
        var reaching = trials.GroupBy(t => t.Height)
            .Select(curve => Build(curve))
            .Where(curve => curve[^1].Quality >= target)
            .Select(curve => RateFor(curve, target))
            .ToList();
        return reaching.Count > 0 ? reaching.Min() : trials.MaxBy(t => t.Quality)!.Bitrate;
    }

    /// <summary>The lowest rate at which a curve (linear in log rate between its points) reaches <paramref name="target"/>.</summary>
    public static long RateFor(IReadOnlyList<QualityPoint> hull, double target)
    {
        if (hull[0].Quality >= target)
        {
            return hull[0].Bitrate;
        }

        for (var i = 1; i < hull.Count; i++)
        {
            var (a, b) = (hull[i - 1], hull[i]);
            if (b.Quality >= target)
            {
                var t = (target - a.Quality) / (b.Quality - a.Quality);
                return (long)Math.Ceiling(a.Bitrate * Math.Pow((double)b.Bitrate / a.Bitrate, t));
            }
        }

        return hull[^1].Bitrate;
    }

    /// <summary>
    /// The resolution whose trials predict the best quality at <paramref name="bitrate"/>, and that quality. Each
    /// resolution's curve is its own efficient trials, linear in log rate and flat above its dearest trial. Below its
    /// cheapest trial a resolution is not a candidate: a 1080p curve continued down to 75 kbit/s predicts a picture
    /// no encoder makes. Below every resolution's cheapest trial, the one whose trials reach lowest is continued
    /// along its first segment's slope.
    /// </summary>
    public static (int Height, double Quality) At(IReadOnlyList<QualityPoint> trials, long bitrate)
    {
        (int Height, double Quality) best = (0, double.MinValue);
        var curves = trials.GroupBy(t => t.Height).OrderBy(g => g.Key).Select(g => (Height: g.Key, Points: Build(g))).ToList();
        foreach (var (height, points) in curves.Where(c => bitrate >= c.Points[0].Bitrate))
        {
            var quality = Interpolate(points, bitrate);
            if (quality > best.Quality)
            {
                best = (height, quality);
            }
        }

        if (best.Height == 0)
        {
            var lowest = curves.MinBy(c => c.Points[0].Bitrate);
            best = (lowest.Height, Extrapolate(lowest.Points, bitrate));
        }

        return best;
    }

    /// <summary>
    /// The constant-quality setting at which <paramref name="height"/>'s trials cost <paramref name="bitrate"/>:
    /// linear in log rate between the two trials around it and continued below the cheapest (up to 51, the
    /// scale's end), and the dearest trial's setting above them: a rung is never made better than the best trial,
    /// whose quality it already reaches for less than its rate.
    /// </summary>
    public static double CrfAt(IReadOnlyList<QualityPoint> trials, int height, long bitrate)
    {
        var curve = trials.Where(t => t.Height == height).OrderBy(t => t.Bitrate).ToList();
        if (bitrate <= curve[0].Bitrate)
        {
            if (curve.Count == 1 || curve[1].Bitrate <= curve[0].Bitrate)
            {
                return curve[0].Crf;
            }

            var (low, next) = (curve[0], curve[1]);
            var below = Math.Log((double)bitrate / low.Bitrate) / Math.Log((double)next.Bitrate / low.Bitrate);
            return Math.Min(51, low.Crf + (below * (next.Crf - low.Crf)));
        }

        for (var i = 1; i < curve.Count; i++)
        {
            var (a, b) = (curve[i - 1], curve[i]);
            if (bitrate <= b.Bitrate)
            {
                var t = Math.Log((double)bitrate / a.Bitrate) / Math.Log((double)b.Bitrate / a.Bitrate);
                return a.Crf + (t * (b.Crf - a.Crf));
            }
        }

        return curve[^1].Crf;
    }

    private static double Interpolate(List<QualityPoint> points, long bitrate)
    {
        if (points.Count == 1 || bitrate >= points[^1].Bitrate)
        {
            return points[^1].Quality;
        }

        var i = 1;
        while (i < points.Count - 1 && bitrate > points[i].Bitrate)
        {
            i++;
        }

        var (a, b) = (points[i - 1], points[i]);
        var t = Math.Log((double)bitrate / a.Bitrate) / Math.Log((double)b.Bitrate / a.Bitrate);
        return a.Quality + (t * (b.Quality - a.Quality));
    }

    private static double Extrapolate(List<QualityPoint> points, long bitrate)
    {
        if (points.Count == 1)
        {
            return points[0].Quality;
        }

        var (a, b) = (points[0], points[1]);
        var t = Math.Log((double)bitrate / a.Bitrate) / Math.Log((double)b.Bitrate / a.Bitrate);
        return a.Quality + (t * (b.Quality - a.Quality));
    }

    // True when b lies strictly above the chord from a to c, so that b stays on the upper hull.
    private static bool TurnsRight(QualityPoint a, QualityPoint b, QualityPoint c)
    {
        var (ax, bx, cx) = (Math.Log(a.Bitrate), Math.Log(b.Bitrate), Math.Log(c.Bitrate));
        var cross = ((bx - ax) * (c.Quality - a.Quality)) - ((b.Quality - a.Quality) * (cx - ax));
        return cross < 0;
    }
}
