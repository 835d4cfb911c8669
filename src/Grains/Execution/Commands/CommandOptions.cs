using System.ComponentModel.DataAnnotations;

namespace JobGrains.Execution.Commands;

/// <summary>
/// One external program that runs a job type. Bound from <c>JobGrains:Commands:&lt;type&gt;</c>
/// as named options (the name is the job type); each entry registers that type on this silo.
/// </summary>
public sealed class CommandOptions : IValidatableObject
{
    public const string Section = "JobGrains:Commands";

    /// <summary>
    /// The program: an absolute path, or a name looked up in <c>PATH</c>. Started directly,
    /// never through a shell. Required. That it exists is checked at each attempt, so a missing
    /// program fails attempts clearly instead of keeping the silo from starting.
    /// </summary>
    [Required]
    public string Path { get; set; } = "";

    /// <summary>Fixed arguments, passed as they are (no shell expansion). Default none.</summary>
    public List<string> Args { get; set; } = [];

    /// <summary>The directory the program starts in. Default: the silo's working directory.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>Variables set for the program, on top of what it inherits (see the README). Default none.</summary>
    public Dictionary<string, string> Environment { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// How long the program's process group has, after SIGTERM (cancel, timeout, drain), before
    /// SIGKILL. Default 10 s.
    /// </summary>
    [Range(0, 3600)]
    public int GracePeriodSeconds { get; set; } = 10;

    public TimeSpan GracePeriod => TimeSpan.FromSeconds(GracePeriodSeconds);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Path) || Path.Contains('\0', StringComparison.Ordinal))
        {
            yield return new ValidationResult("Path must name a program.", [nameof(Path)]);
        }

        if (Args.Any(a => a is null || a.Contains('\0', StringComparison.Ordinal)))
        {
            yield return new ValidationResult("Args must not hold null or the character U+0000.", [nameof(Args)]);
        }

        if (WorkingDirectory is { } directory && (directory.Length == 0 || directory.Contains('\0', StringComparison.Ordinal)))
        {
            yield return new ValidationResult("WorkingDirectory, when set, must be a path.", [nameof(WorkingDirectory)]);
        }

        foreach (var (name, value) in Environment)
        {
            if (name.Length == 0 || name.Contains('=', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal)
                || (value ?? "").Contains('\0', StringComparison.Ordinal))
            {
                yield return new ValidationResult($"Environment variable '{name}' has an invalid name or value.", [nameof(Environment)]);
            }
            else if (CommandEnvironment.IsReserved(name))
            {
                yield return new ValidationResult($"Environment variable '{name}' is set by the silo for each attempt.", [nameof(Environment)]);
            }
        }

        if (!ProcessGroup.IsSupported)
        {
            yield return new ValidationResult(
                $"The command handler needs Linux (or another Unix) with {ProcessGroup.SetsidPath} (util-linux) to start programs in a process group of their own.");
        }
    }
}
