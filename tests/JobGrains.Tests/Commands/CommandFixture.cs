using System.Globalization;
using JobGrains.Tests.Gateway;
using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Commands;

/// <summary>
/// A two-silo cluster whose silos run small bash scripts as <c>command</c> job types, behind a real
/// gateway (REST and SignalR). The scripts are written to a folder of their own, which they also
/// use (through the configured variable <c>WORK</c>) to leave process ids and await go-ahead files.
/// </summary>
public sealed class CommandFixture : IAsyncLifetime
{
    public const string AdminKey = "test-admin-key-commands-7c1d2e3f-5a6b7c8d";

    public CommandFixture()
    {
        WorkDirectory = Directory.CreateTempSubdirectory("jobgrains-commands-").FullName;
        Cluster = new CommandClusterFixture(Settings());
    }

    /// <summary>Where the scripts live and leave their traces.</summary>
    public string WorkDirectory { get; }

    public ClusterFixture Cluster { get; }

    public GatewayServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Cluster.InitializeAsync();
        Server = await GatewayServer.StartAsync(Cluster.Client, Cluster.Jobs, new Dictionary<string, string?>
        {
            ["ConnectionStrings:JobGrains"] = Cluster.Database.ConnectionString,
            ["JobGrains:ClusterId"] = Cluster.ClusterId,
            ["JobGrains:Auth:Keys:0"] = AdminKey,
        });
    }

    public HttpClient CreateClient()
    {
        var client = new HttpClient { BaseAddress = Server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        return client;
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        await Cluster.DisposeAsync();
        Directory.Delete(WorkDirectory, recursive: true);
    }

    private Dictionary<string, string> Settings()
    {
        var settings = new Dictionary<string, string>();
        void Command(string type, string script, string body, int graceSeconds = 10, params string[] args)
        {
            var path = Path.Combine(WorkDirectory, script);
            File.WriteAllText(path, "#!/bin/bash\n" + body.ReplaceLineEndings("\n"));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            settings[$"JobGrains:Commands:{type}:Path"] = path;
            settings[$"JobGrains:Commands:{type}:Environment:WORK"] = WorkDirectory;
            settings[$"JobGrains:Commands:{type}:GracePeriodSeconds"] = graceSeconds.ToString(CultureInfo.InvariantCulture);
            for (var i = 0; i < args.Length; i++)
            {
                settings[$"JobGrains:Commands:{type}:Args:{i}"] = args[i];
            }
        }

        // Reads the instruction, reports progress, waits for the test's go-ahead, returns a result.
        Command(ProtocolType, "protocol.sh", """
            set -eu
            instruction=$(cat)
            echo "::progress:: 50 read the instruction"
            echo "a log line of job $JOBGRAINS_JOB_ID"
            while [ ! -e "$WORK/$JOBGRAINS_JOB_ID.go" ]; do sleep 0.05; done
            printf '::result:: {"instruction": %s, "arg": "%s", "attempt": %s, "checkpoint": "%s"}\n' \
              "$instruction" "$1" "$JOBGRAINS_ATTEMPT" "${JOBGRAINS_CHECKPOINT:-none}"
            """, args: "fixed argument");

        // The first attempt saves a checkpoint and fails; the next one returns what it received.
        Command(CheckpointType, "checkpoint.sh", """
            cat >/dev/null
            if [ -z "${JOBGRAINS_CHECKPOINT:-}" ]; then
              echo '::checkpoint:: {"done": 3}'
              echo "the first attempt stops here" >&2
              exit 7
            fi
            printf '::result:: {"resumedFrom": %s, "attempt": %s}\n' "$JOBGRAINS_CHECKPOINT" "$JOBGRAINS_ATTEMPT"
            """);

        // Ignores SIGTERM, as does the grandchild it leaves in its group: only SIGKILL ends them.
        Command(StubbornType, "stubborn.sh", """
            trap '' TERM
            sleep 300 &
            echo "$$ $!" > "$WORK/$JOBGRAINS_JOB_ID.pids.tmp"
            mv "$WORK/$JOBGRAINS_JOB_ID.pids.tmp" "$WORK/$JOBGRAINS_JOB_ID.pids"
            echo "::progress:: 10 waiting for ever"
            wait
            """, graceSeconds: 1);

        // Megabytes of output: a 3 MB line without a break, 200,000 short lines, then a last word
        // (all on stdout: the order of lines across stdout and stderr is not kept).
        Command(FloodType, "flood.sh", """
            head -c 3000000 /dev/zero | tr '\0' 'x'
            echo
            seq -f "line %g of the flood" 1 200000
            echo "the very last line"
            exit 3
            """);

        settings[$"JobGrains:Commands:{MissingType}:Path"] = Path.Combine(WorkDirectory, "no-such-program");
        return settings;
    }

    public const string ProtocolType = "cmd-protocol";
    public const string CheckpointType = "cmd-checkpoint";
    public const string StubbornType = "cmd-stubborn";
    public const string FloodType = "cmd-flood";
    public const string MissingType = "cmd-missing";

    private sealed class CommandClusterFixture(IReadOnlyDictionary<string, string> commands) : ClusterFixture
    {
        protected override IReadOnlyDictionary<string, string> SiloSettings =>
            base.SiloSettings.Concat(commands).ToDictionary();
    }
}

/// <summary>The collection that shares one <see cref="CommandFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class CommandCollection : ICollectionFixture<CommandFixture>
{
    public const string Name = "commands";
}
