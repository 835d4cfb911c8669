namespace JobGrains.Abilities;

/// <summary>What one silo can run: the job types it has handlers for, and its tags (<c>JobGrains:Silo:Tags</c>).</summary>
internal sealed class SiloAbilities(IEnumerable<string> types, IEnumerable<string> tags)
{
    public IReadOnlySet<string> Types { get; } = types.ToHashSet(StringComparer.Ordinal);

    public IReadOnlySet<string> Tags { get; } = tags.ToHashSet(StringComparer.Ordinal);

    /// <summary>Whether a job of <paramref name="type"/> that requires <paramref name="requires"/> may run here.</summary>
    public bool CanRun(string type, IReadOnlyList<string>? requires) =>
        Types.Contains(type) && (requires is null || requires.All(Tags.Contains));

    /// <summary>
    /// Why no silo of <paramref name="silos"/> can run such a job, in words for its view; null when one can.
    /// </summary>
    public static string? WhyNone(IEnumerable<SiloAbilities> silos, string type, IReadOnlyList<string>? requires)
    {
        if (silos.Any(s => s.CanRun(type, requires)))
        {
            return null;
        }

        return requires is { Count: > 0 }
            ? $"a live silo with a handler for '{type}' and the tags {string.Join(", ", requires)}"
            : $"a live silo with a handler for '{type}'";
    }
}
