namespace LowLatency.Models.Explain;

/// <summary>Keeps the k largest contributions by magnitude, in a caller-provided span, without allocating.</summary>
public static class TopContributions
{
    /// <summary>
    /// Writes the top <c>destination.Length</c> entries of <paramref name="perFeature"/> by |value| into
    /// <paramref name="destination"/>, largest first; ties keep the lower feature index first so the
    /// result is deterministic. Zero contributions are skipped. Returns how many were written.
    /// </summary>
    public static int Select(ReadOnlySpan<float> perFeature, Span<Contribution> destination)
    {
        int k = destination.Length;
        int count = 0;
        for (int i = 0; i < perFeature.Length; i++)
        {
            float v = perFeature[i];
            float a = MathF.Abs(v);
            if (!(a > 0f))
            {
                continue;
            }

            if (count == k && !(a > MathF.Abs(destination[k - 1].Value)))
            {
                continue;
            }

            int pos = count < k ? count++ : k - 1;
            // Insertion into a small sorted window: k is a handful of reason codes.
            while (pos > 0 && a > MathF.Abs(destination[pos - 1].Value))
            {
                destination[pos] = destination[pos - 1];
                pos--;
            }

            destination[pos] = new Contribution(i, v);
        }

        return count;
    }
}
