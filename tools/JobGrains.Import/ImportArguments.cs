namespace JobGrains.Import;

/// <summary>What <c>scripts/import.sh DIR [--type TYPE] [--queue QUEUE] [--watch]</c> was asked to do.</summary>
internal sealed record ImportArguments(string Directory, string? Type, string? Queue, bool Watch)
{
    public const string Usage = "usage: scripts/import.sh DIR [--type TYPE] [--queue QUEUE] [--watch]";

    /// <summary>The arguments, or null with <paramref name="problem"/> saying what is wrong.</summary>
    public static ImportArguments? Parse(IReadOnlyList<string> args, out string? problem)
    {
        string? directory = null, type = null, queue = null;
        var watch = false;
        problem = null;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--type" when i + 1 < args.Count:
                    type = args[++i];
                    break;
                case "--queue" when i + 1 < args.Count:
                    queue = args[++i];
                    break;
                case "--watch":
                    watch = true;
                    break;
                case "-h" or "--help":
                    problem = "";
                    return null;
                case var option when option.StartsWith("--", StringComparison.Ordinal):
                    problem = $"unknown option or missing value: {option}";
                    return null;
                case var path when directory is null:
                    directory = path;
                    break;
                default:
                    problem = $"only one DIR may be given (also got '{args[i]}')";
                    return null;
            }
        }

        if (directory is null)
        {
            problem = "DIR is missing";
            return null;
        }

        if (!System.IO.Directory.Exists(directory))
        {
            problem = $"'{directory}' is not a directory";
            return null;
        }

        if (type is { Length: 0 } || queue is { Length: 0 })
        {
            problem = "--type and --queue need a non-empty value";
            return null;
        }

        return new ImportArguments(Path.GetFullPath(directory), type, queue, watch);
    }
}
