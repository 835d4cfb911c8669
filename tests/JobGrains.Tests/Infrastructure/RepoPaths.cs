namespace JobGrains.Tests.Infrastructure;

/// <summary>Where the built apps are, for tests that start them as processes.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration of the tests, as the artifacts folders name it.</summary>
#if DEBUG
    public const string Configuration = "debug";
#else
    public const string Configuration = "release";
#endif

    public static string App(string name) => Path.Combine(Root, "artifacts", "bin", name, Configuration, name + ".dll");

    private static string FindRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("JOBGRAINS_REPO_ROOT");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "JobGrains.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (JobGrains.sln) above " + AppContext.BaseDirectory);
    }
}
