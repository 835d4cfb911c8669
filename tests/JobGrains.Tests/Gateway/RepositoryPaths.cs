namespace JobGrains.Tests.Gateway;

/// <summary>Where the repository's files are, from JOBGRAINS_REPO_ROOT (scripts/test.sh) or the test's location.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string GatewayProject => Path.Combine(Root, "src", "Gateway");

    private static string FindRoot()
    {
        if (Environment.GetEnvironmentVariable("JOBGRAINS_REPO_ROOT") is { Length: > 0 } root && File.Exists(Path.Combine(root, "JobGrains.sln")))
        {
            return root;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "JobGrains.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Could not find the repository root (JobGrains.sln); set JOBGRAINS_REPO_ROOT.");
    }
}
