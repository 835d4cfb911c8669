using System.Globalization;
using System.Text.Json;

namespace JobGrains.Execution.Commands;

/// <summary>The environment a program runs with.</summary>
internal static class CommandEnvironment
{
    public const string JobId = "JOBGRAINS_JOB_ID";
    public const string Attempt = "JOBGRAINS_ATTEMPT";
    public const string Checkpoint = "JOBGRAINS_CHECKPOINT";

    /// <summary>
    /// Inherited variables that configure the silo itself, and may hold its secrets (the database's
    /// password in <c>ConnectionStrings__JobGrains</c>, an API key): a program never sees them
    /// unless its own <see cref="CommandOptions.Environment"/> passes them on.
    /// </summary>
    private static readonly string[] SiloOnlyPrefixes = ["ConnectionStrings__", "JOBGRAINS_", "JobGrains__"];

    public static bool IsReserved(string name) =>
        name.Equals(JobId, StringComparison.OrdinalIgnoreCase)
        || name.Equals(Attempt, StringComparison.OrdinalIgnoreCase)
        || name.Equals(Checkpoint, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Fills <paramref name="environment"/> (the silo's own, as <see cref="System.Diagnostics.ProcessStartInfo"/>
    /// starts it): the silo's configuration removed, the configured variables, then the attempt's.
    /// Names never come from the instruction; only the checkpoint's value does, and it was written
    /// by the program itself.
    /// </summary>
    public static void Apply(IDictionary<string, string?> environment, CommandOptions options, JobContext context)
    {
        foreach (var name in environment.Keys.Where(IsSiloOnly).ToList())
        {
            environment.Remove(name);
        }

        foreach (var (name, value) in options.Environment)
        {
            environment[name] = value;
        }

        environment[JobId] = context.JobId.ToString();
        environment[Attempt] = context.Attempt.ToString(CultureInfo.InvariantCulture);
        if (context.Checkpoint is { } checkpoint)
        {
            environment[Checkpoint] = JsonSerializer.Serialize(checkpoint);
        }
    }

    private static bool IsSiloOnly(string name) =>
        SiloOnlyPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
}
