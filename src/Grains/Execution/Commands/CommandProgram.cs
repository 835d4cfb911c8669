using JobGrains.Execution.Handlers;

namespace JobGrains.Execution.Commands;

/// <summary>Finds the file a configured program path names, as the attempt is about to start it.</summary>
internal static class CommandProgram
{
    private const UnixFileMode AnyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>
    /// The absolute path of the configured program: a relative path counts from the working
    /// directory, a bare name is looked up in <c>PATH</c> (the program's, when configured).
    /// Throws <see cref="JobHandlerFailedException"/>, saying what is wrong, when there is no such
    /// executable file: an attempt fails clearly, and the silo carries on.
    /// </summary>
    public static string Resolve(CommandOptions options)
    {
        var directory = options.WorkingDirectory ?? Environment.CurrentDirectory;
        if (!Directory.Exists(directory))
        {
            throw new JobHandlerFailedException($"The working directory '{directory}' of the program '{options.Path}' does not exist.");
        }

        var path = options.Path;
        if (path.Contains('/', StringComparison.Ordinal))
        {
            var full = Path.GetFullPath(path, directory);
            return IsExecutableFile(full)
                ? full
                : throw new JobHandlerFailedException(File.Exists(full)
                    ? $"The program '{full}' is not executable."
                    : $"The program '{full}' does not exist.");
        }

        var searchPath = options.Environment.GetValueOrDefault("PATH") ?? Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var folder in searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.GetFullPath(Path.Combine(folder, path), directory);
            if (IsExecutableFile(candidate))
            {
                return candidate;
            }
        }

        throw new JobHandlerFailedException($"The program '{path}' does not exist in any folder of PATH ({searchPath}).");
    }

    private static bool IsExecutableFile(string path) =>
        File.Exists(path) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & AnyExecute) != 0);
}
