using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using JobGrains.Tests.Gateway;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Commands;

/// <summary>
/// <c>scripts/import.sh</c> as a user runs it, against a real gateway over HTTP (the cluster of the
/// command tests, shared to keep the suite short). Each test imports a folder of its own, whose
/// files sit under a unique sub-folder, so that their idempotency keys (<c>file:</c> + path) and
/// jobs are told apart from other tests' in the shared database.
/// </summary>
[Collection(CommandCollection.Name)]
public sealed class ImportTests(CommandFixture fixture, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(120);

    private readonly string _root = Directory.CreateTempSubdirectory("jobgrains-import-").FullName;
    private readonly string _batch = Guid.NewGuid().ToString("N");

    /// <summary>The sub-folder of the imported folder that holds this test's files.</summary>
    private string Folder => Path.Combine(_root, _batch);

    [Fact]
    public async Task A_thousand_files_become_a_thousand_jobs_even_when_imported_again_or_killed_midway()
    {
        for (var i = 0; i < 1000; i++)
        {
            Write($"part-{i % 10}/job-{i:D4}.json", $$"""{"batch": "{{_batch}}", "n": {{i}}}""");
        }

        // An earlier run that died after its submission was acknowledged, before it moved the file.
        using (var client = fixture.CreateClient())
        {
            var body = $$$"""{"type": "echo", "instruction": {"batch": "{{{_batch}}}", "n": 0}}""";
            await (await client.PostJsonAsync("api/jobs", body, $"file:{_batch}/part-0/job-0000.json")).AssertStatusAsync(HttpStatusCode.Accepted);
        }

        // Killed midway (SIGKILL: no chance to tidy up).
        var killed = Start("--type", "echo");
        await Eventually.MatchesAsync(() => Task.FromResult(CountFiles(Path.Combine(_root, ".done"))), n => n >= 50,
            "the importer to have imported 50 files", Wait);
        killed.Process.Kill();
        await killed.Process.WaitForExitAsync();
        var left = CountFiles(Folder);
        output.WriteLine($"killed with {left} files not yet imported");
        Assert.True(left > 0, "the importer was to be killed midway, but it had already finished");

        var clock = Stopwatch.StartNew();
        var rest = await RunAsync("--type", "echo");
        output.WriteLine($"{left} files imported in {clock.Elapsed.TotalSeconds:0.0} s, the importer's start included");
        Assert.Equal(0, rest.ExitCode);
        Assert.Contains($"summary: {left} imported, 0 rejected, 0 left", rest.Output, StringComparison.Ordinal);
        await AssertOneJobPerFileAsync(1000);
        Assert.Equal(0, CountFiles(Folder));
        Assert.Equal(1000, CountFiles(Path.Combine(_root, ".done", _batch)));

        // Every file submitted again (as if a producer wrote them all once more): the same jobs.
        Directory.Delete(Folder, recursive: true); // empty folders only, by the count above
        Directory.Move(Path.Combine(_root, ".done", _batch), Folder);
        clock = Stopwatch.StartNew();
        var again = await RunAsync("--type", "echo");
        output.WriteLine($"1000 files imported again (same keys, same jobs) in {clock.Elapsed.TotalSeconds:0.0} s, the importer's start included");
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("summary: 1000 imported, 0 rejected, 0 left", again.Output, StringComparison.Ordinal);
        await AssertOneJobPerFileAsync(1000);
    }

    [Fact]
    public async Task Files_that_are_not_JSON_or_are_refused_land_in_rejected_with_their_reason_and_the_others_are_imported()
    {
        Write("broken.json", """{"not": json""");
        Write("unknown-type.json", """{"type": "no-such-type", "instruction": {}}""");
        Write("nested/submission.json", $$"""{"type": "echo", "instruction": {"batch": "{{_batch}}", "as": "submission"}, "queue": "import-own-queue"}""");
        Write("plain.json", $$"""{"batch": "{{_batch}}", "as": "instruction"}""");

        var run = await RunAsync("--type", "echo", "--queue", "import-queue");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("summary: 2 imported, 2 rejected, 0 left", run.Output, StringComparison.Ordinal);

        var rejected = Path.Combine(_root, ".rejected", _batch);
        Assert.True(File.Exists(Path.Combine(rejected, "broken.json")));
        Assert.Contains("not valid JSON", await File.ReadAllTextAsync(Path.Combine(rejected, "broken.json.error")), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(rejected, "unknown-type.json")));
        var refusal = await File.ReadAllTextAsync(Path.Combine(rejected, "unknown-type.json.error"));
        Assert.StartsWith("400 ", refusal, StringComparison.Ordinal);
        Assert.Contains("no-such-type", refusal, StringComparison.Ordinal);

        // A submission file as it stands; any other JSON is the instruction of a job of --type, in --queue.
        Assert.True(File.Exists(Path.Combine(_root, ".done", _batch, "nested", "submission.json")));
        Assert.Equal("import-own-queue", await fixture.Cluster.Database.ScalarAsync<string>(
            "select queue from jobs where idempotency_key = $1", $"file:{_batch}/nested/submission.json"));
        Assert.Equal("echo/import-queue", await fixture.Cluster.Database.ScalarAsync<string>(
            "select type || '/' || queue from jobs where idempotency_key = $1 and instruction @> $2::jsonb",
            $"file:{_batch}/plain.json", $$"""{"as": "instruction"}"""));
        Assert.Equal(0, CountFiles(Folder));
    }

    [Fact]
    public async Task Watching_picks_up_a_file_that_appears_later()
    {
        Directory.CreateDirectory(Folder);
        var watch = Start("--type", "echo", "--watch");
        try
        {
            // Give the watch a first (empty) pass, then write the file as producers should: under
            // another name, renamed into place.
            await Task.Delay(TimeSpan.FromSeconds(1));
            var temporary = Path.Combine(Folder, ".late.json.tmp");
            await File.WriteAllTextAsync(temporary, $$"""{"batch": "{{_batch}}", "late": true}""");
            File.Move(temporary, Path.Combine(Folder, "late.json"));
            var written = Stopwatch.StartNew();

            var key = $"file:{_batch}/late.json";
            await Eventually.MatchesAsync(() => fixture.Cluster.Database.ScalarAsync<long>("select count(*) from jobs where idempotency_key = $1", key),
                n => n == 1, $"a job with the key {key}", Wait);
            output.WriteLine($"the job appeared {written.ElapsedMilliseconds} ms after the file");
            await Eventually.MatchesAsync(() => Task.FromResult(File.Exists(Path.Combine(_root, ".done", _batch, "late.json"))), moved => moved,
                "the file to move to .done", Wait);
        }
        finally
        {
            using var term = Process.Start("kill", ["-TERM", watch.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await term.WaitForExitAsync();
        }

        await watch.Process.WaitForExitAsync(new CancellationTokenSource(Wait).Token);
        Assert.Equal(0, watch.Process.ExitCode);
        Assert.Contains("summary: 1 imported", watch.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watching_imports_a_file_waiting_for_a_type_once_it_is_rewritten_as_a_submission()
    {
        Write("bare.json", $$"""{"batch": "{{_batch}}", "bare": true}""");
        var watch = Start("--watch");
        try
        {
            var relative = $"{_batch}/bare.json";
            await Eventually.MatchesAsync(() => Task.FromResult(watch.Output), o => o.Contains($"waiting  {relative}", StringComparison.Ordinal),
                "the file to be reported as waiting for --type", Wait);

            // The watch skips the waiting file while it is unchanged; rewritten, it is read again.
            var temporary = Path.Combine(Folder, ".bare.json.tmp");
            await File.WriteAllTextAsync(temporary, $$$"""{"type": "echo", "instruction": {"batch": "{{{_batch}}}", "bare": false}}""");
            File.Move(temporary, Path.Combine(Folder, "bare.json"), overwrite: true);

            var key = $"file:{relative}";
            await Eventually.MatchesAsync(() => fixture.Cluster.Database.ScalarAsync<long>("select count(*) from jobs where idempotency_key = $1", key),
                n => n == 1, $"a job with the key {key}", Wait);
            await Eventually.MatchesAsync(() => Task.FromResult(File.Exists(Path.Combine(_root, ".done", relative))), moved => moved,
                "the file to move to .done", Wait);
        }
        finally
        {
            using var term = Process.Start("kill", ["-TERM", watch.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await term.WaitForExitAsync();
        }

        await watch.Process.WaitForExitAsync(new CancellationTokenSource(Wait).Token);
        Assert.Equal(0, watch.Process.ExitCode);
        Assert.Contains("summary: 1 imported, 0 rejected, 0 left for a later run, 1 waiting for --type", watch.Output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Write(string relative, string json)
    {
        var path = Path.Combine(Folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, json);
    }

    private static int CountFiles(string folder) =>
        Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*.json", SearchOption.AllDirectories).Count() : 0;

    private async Task AssertOneJobPerFileAsync(int files)
    {
        var marker = $$"""{"batch": "{{_batch}}"}""";
        Assert.Equal(files, await fixture.Cluster.Database.ScalarAsync<long>("select count(*) from jobs where instruction @> $1::jsonb", marker));
        Assert.Equal(files, await fixture.Cluster.Database.ScalarAsync<long>(
            "select count(distinct idempotency_key) from jobs where instruction @> $1::jsonb and idempotency_key like 'file:%'", marker));
    }

    private async Task<(int ExitCode, string Output)> RunAsync(params string[] options)
    {
        var run = Start(options);
        await run.Process.WaitForExitAsync(new CancellationTokenSource(Wait).Token);
        output.WriteLine(run.Output.Length > 2000 ? "…" + run.Output[^2000..] : run.Output);
        return (run.Process.ExitCode, run.Output);
    }

    /// <summary>Starts <c>scripts/import.sh</c> on this test's folder, its key in the environment.</summary>
    private Importer Start(params string[] options)
    {
        var start = new ProcessStartInfo(Path.Combine(RepoPaths.Root, "scripts", "import.sh"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(_root);
        foreach (var option in options)
        {
            start.ArgumentList.Add(option);
        }

        start.Environment["JOBGRAINS_URL"] = fixture.Server.BaseAddress.ToString();
        start.Environment["JOBGRAINS_API_KEY"] = CommandFixture.AdminKey;
        var importer = new Importer(Process.Start(start)!);
        importer.Process.OutputDataReceived += (_, e) => importer.Add(e.Data);
        importer.Process.ErrorDataReceived += (_, e) => importer.Add(e.Data);
        importer.Process.BeginOutputReadLine();
        importer.Process.BeginErrorReadLine();
        return importer;
    }

    private sealed class Importer(Process process)
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public Process Process { get; } = process;

        public string Output => new StringBuilder().AppendJoin('\n', _lines).ToString();

        public void Add(string? line)
        {
            if (line is not null)
            {
                _lines.Enqueue(line);
            }
        }
    }
}
