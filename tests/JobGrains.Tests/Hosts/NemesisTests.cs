using System.Globalization;
using System.Text.RegularExpressions;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Hosts;

/// <summary>
/// <c>scripts/nemesis.sh</c> shortened to a minute: random faults (silos killed, frozen, cut from
/// PostgreSQL, each other or the gateway; PostgreSQL restarted) under a load of submissions, then
/// the script's own checks in PostgreSQL. Needs root, as every hosts test does.
/// </summary>
[Collection(HostsCollection.Name)]
public sealed partial class NemesisTests(ITestOutputHelper output)
{
    // The minute of faults, plus the start, the retries of the last keys, the jobs' ends and the teardown on a loaded machine.
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(15);

    [Fact]
    public async Task A_minute_of_random_faults_under_load_loses_no_acknowledged_job_and_commits_none_twice()
    {
        var data = Path.Combine(Path.GetTempPath(), "jobgrains-nemesis-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(data);
        try
        {
            var environment = new Dictionary<string, string?>
            {
                ["JOBGRAINS_HOSTS_DATA"] = data,
                // Namespaces and a network of its own: never those of another hosts test or of a nemesis run by hand.
                ["JOBGRAINS_HOSTS_PREFIX"] = "jgnt",
                ["JOBGRAINS_HOSTS_SUBNET"] = "10.78.1",
                ["JOBGRAINS_HOSTS_SILOS"] = "3",
                ["JOBGRAINS_SKIP_BUILD"] = "1",
            };
            var seed = Random.Shared.Next(1, int.MaxValue).ToString(CultureInfo.InvariantCulture);
            var (exitCode, text) = await Processes.RunAsync(
                "bash", [Path.Combine(RepoPaths.Root, "scripts", "nemesis.sh"), "--duration", "60", "--seed", seed], environment, ScriptTimeout);
            output.WriteLine(text);

            Assert.True(exitCode == 0, $"scripts/nemesis.sh --seed {seed} exited with {exitCode}:\n{text}");
            Assert.Contains("nemesis summary", text, StringComparison.Ordinal);
            Assert.DoesNotContain("  FAIL  ", text, StringComparison.Ordinal);
            Assert.Equal(8, PassLine().Count(text));
            Assert.True(int.Parse(Acknowledged().Match(text).Groups[1].Value, CultureInfo.InvariantCulture) > 0, "no job was acknowledged");
            Assert.True(int.Parse(Injected().Match(text).Groups[1].Value, CultureInfo.InvariantCulture) > 0, "no fault was injected");
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [GeneratedRegex(@"^  PASS  ", RegexOptions.Multiline)]
    private static partial Regex PassLine();

    [GeneratedRegex(@"jobs acknowledged +(\d+)")]
    private static partial Regex Acknowledged();

    [GeneratedRegex(@"faults injected +(\d+):")]
    private static partial Regex Injected();
}
