using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using JobGrains.Tests.Gateway;
using JobGrains.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace JobGrains.Tests.Commands;

/// <summary>
/// The <c>command</c> handler with real child processes: bash scripts started by the silos, talking
/// back through the line protocol, watched over REST and SignalR.
/// </summary>
[Collection(CommandCollection.Name)]
public sealed class CommandHandlerTests(CommandFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_program_reads_its_instruction_reports_progress_seen_live_over_SignalR_and_returns_a_result()
    {
        var updates = Channel.CreateUnbounded<JsonElement>();
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(fixture.Server.BaseAddress, "hubs/jobs"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(CommandFixture.AdminKey))
            .Build();
        connection.On<JsonElement>("jobUpdated", job => updates.Writer.TryWrite(job));
        await connection.StartAsync();

        var id = await SubmitAsync(CommandFixture.ProtocolType, """{"greeting": "hello \"quoted\" $HOME `id`", "n": [1, 2]}""");
        await connection.InvokeAsync("SubscribeJob", id.ToString());

        // The script waits for the go-ahead file, so the progress can only have come while it ran.
        var progressed = await ReadUntilAsync(updates.Reader, job =>
            job.GetProperty("state").GetString() == "running"
            && job.GetProperty("progress").ValueKind == JsonValueKind.Object
            && job.GetProperty("progress").GetProperty("percent").GetDouble() == 50);
        Assert.Equal("read the instruction", progressed.GetProperty("progress").GetProperty("message").GetString());
        await File.WriteAllTextAsync(Path.Combine(fixture.WorkDirectory, $"{id}.go"), "");

        var finished = await ReadUntilAsync(updates.Reader, job => job.GetProperty("state").GetString() is "succeeded" or "failed");
        Assert.Equal("succeeded", finished.GetProperty("state").GetString());
        var result = finished.GetProperty("result");
        Assert.Equal("hello \"quoted\" $HOME `id`", result.GetProperty("instruction").GetProperty("greeting").GetString());
        Assert.Equal(2, result.GetProperty("instruction").GetProperty("n")[1].GetInt32());
        Assert.Equal("fixed argument", result.GetProperty("arg").GetString());
        Assert.Equal(1, result.GetProperty("attempt").GetInt32());
        Assert.Equal("none", result.GetProperty("checkpoint").GetString());
    }

    [Fact]
    public async Task A_checkpoint_saved_by_a_failed_attempt_reaches_the_next_attempt_and_the_failure_keeps_exit_code_and_output()
    {
        var id = await SubmitAsync(CommandFixture.CheckpointType, "{}", maxAttempts: 2);
        var job = await WaitForEndAsync(id);
        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        Assert.Equal(2, job.GetProperty("result").GetProperty("attempt").GetInt32());
        Assert.Equal(3, job.GetProperty("result").GetProperty("resumedFrom").GetProperty("done").GetInt32());

        using var client = fixture.CreateClient();
        var attempts = await (await client.GetAsync($"api/jobs/{id}/attempts")).AssertStatusAsync(HttpStatusCode.OK);
        var first = attempts.GetProperty("items").EnumerateArray().Single(a => a.GetProperty("attempt").GetInt32() == 1);
        var error = first.GetProperty("error");
        Assert.Equal("exitCode", error.GetProperty("kind").GetString());
        Assert.Contains("code 7", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("the first attempt stops here", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_non_zero_exit_fails_the_job_with_the_exit_code_and_at_most_4_KiB_of_output_however_much_was_written()
    {
        var id = await SubmitAsync(CommandFixture.FloodType, "{}");
        var job = await WaitForEndAsync(id);
        Assert.Equal("failed", job.GetProperty("state").GetString());
        var error = job.GetProperty("error");
        Assert.Equal("exitCode", error.GetProperty("kind").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.StartsWith("The program exited with code 3.", message, StringComparison.Ordinal);
        var tail = message[(message.IndexOf('\n', StringComparison.Ordinal) + 1)..];
        Assert.InRange(Encoding.UTF8.GetByteCount(tail), 1, 4096);
        Assert.EndsWith("line 200000 of the flood\nthe very last line", tail, StringComparison.Ordinal);

        // The silos carry on.
        var echo = await WaitForEndAsync(await SubmitAsync("echo", """{"after": "flood"}"""));
        Assert.Equal("succeeded", echo.GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_cancelled_program_and_what_it_started_are_killed_even_when_they_ignore_SIGTERM()
    {
        var id = await SubmitAsync(CommandFixture.StubbornType, "{}");
        var pids = await ReadPidsAsync(id);
        Assert.All(pids, pid => Assert.True(ProcessTable.IsAlive(pid), $"process {pid} should run before the cancel"));

        using var client = fixture.CreateClient();
        await (await client.PostAsync($"api/jobs/{id}/cancel", null)).AssertStatusAsync(HttpStatusCode.Accepted);

        await Eventually.MatchesAsync(() => Task.FromResult(pids.Where(ProcessTable.IsAlive).ToList()), alive => alive.Count == 0,
            $"the processes {string.Join(", ", pids)} of the cancelled job to be gone");
        Assert.Equal("cancelled", (await WaitForEndAsync(id)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_program_past_its_timeout_is_killed_with_its_group_and_the_attempt_fails_as_a_timeout()
    {
        var id = await SubmitAsync(CommandFixture.StubbornType, "{}", timeoutSeconds: 1);
        var pids = await ReadPidsAsync(id);

        var job = await WaitForEndAsync(id);
        Assert.Equal("failed", job.GetProperty("state").GetString());
        Assert.Equal("timeout", job.GetProperty("error").GetProperty("kind").GetString());
        await Eventually.MatchesAsync(() => Task.FromResult(pids.Where(ProcessTable.IsAlive).ToList()), alive => alive.Count == 0,
            $"the processes {string.Join(", ", pids)} of the timed-out job to be gone");
    }

    [Fact]
    public async Task A_program_that_does_not_exist_fails_the_attempt_clearly_and_the_silo_carries_on()
    {
        var job = await WaitForEndAsync(await SubmitAsync(CommandFixture.MissingType, "{}"));
        Assert.Equal("failed", job.GetProperty("state").GetString());
        var message = job.GetProperty("error").GetProperty("message").GetString();
        Assert.Equal($"The program '{Path.Combine(fixture.WorkDirectory, "no-such-program")}' does not exist.", message);

        var echo = await WaitForEndAsync(await SubmitAsync("echo", "{}"));
        Assert.Equal("succeeded", echo.GetProperty("state").GetString());
    }

    private async Task<Guid> SubmitAsync(string type, string instruction, int maxAttempts = 1, int? timeoutSeconds = null)
    {
        using var client = fixture.CreateClient();
        var timeout = timeoutSeconds is { } seconds ? $", \"timeoutSeconds\": {seconds}" : "";
        var body = $$"""{"type": "{{type}}", "instruction": {{instruction}}, "maxAttempts": {{maxAttempts}}{{timeout}}}""";
        var job = await (await client.PostJsonAsync("api/jobs", body)).AssertStatusAsync(HttpStatusCode.Accepted);
        return job.GetProperty("id").GetGuid();
    }

    private async Task<JsonElement> WaitForEndAsync(Guid id)
    {
        using var cancel = new CancellationTokenSource(Wait);
        await fixture.Cluster.Jobs.WaitForCompletionAsync(id, cancel.Token);
        using var client = fixture.CreateClient();
        return await (await client.GetAsync($"api/jobs/{id}")).AssertStatusAsync(HttpStatusCode.OK);
    }

    /// <summary>The pids the stubborn script leaves: itself and its grandchild.</summary>
    private async Task<int[]> ReadPidsAsync(Guid id)
    {
        var path = Path.Combine(fixture.WorkDirectory, $"{id}.pids");
        var text = await Eventually.MatchesAsync(() => Task.FromResult(File.Exists(path) ? File.ReadAllText(path) : ""),
            t => t.Length > 0, $"the script of job {id} to write its pids", Wait);
        return text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
    }

    private static async Task<JsonElement> ReadUntilAsync(ChannelReader<JsonElement> reader, Func<JsonElement, bool> condition)
    {
        using var timeout = new CancellationTokenSource(Wait);
        var seen = new List<string>();
        try
        {
            while (true)
            {
                var job = await reader.ReadAsync(timeout.Token);
                if (condition(job))
                {
                    return job;
                }

                seen.Add(job.GetProperty("state").GetString()!);
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Timed out waiting for a job update over SignalR; seen states: {string.Join(", ", seen)}");
        }
    }
}

/// <summary>Whether a process is alive, by pid, from /proc (a zombie awaiting its reaper counts as gone).</summary>
internal static class ProcessTable
{
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");

            // "pid (comm) state ...": the state follows the last ')', as comm may hold anything.
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state is not ('Z' or 'X');
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return false;
        }
    }
}
