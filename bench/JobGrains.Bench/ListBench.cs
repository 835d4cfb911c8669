using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Json.Nodes;
using JobGrains.Client;
using JobGrains.Jobs;
using Npgsql;

namespace JobGrains.Bench;

/// <summary>
/// The list query at scale: fills <c>jobs</c> with more finished rows (<see cref="FinishedRows"/>;
/// none when <c>--large-table</c> filled it already), then times pages through
/// <see cref="JobsClient.ListAsync"/>: the first page and a page half-way down, with and
/// without a filter, and searches by instruction for a rare and a common value.
/// </summary>
internal static class ListBench
{
    public static async Task<JsonObject> RunAsync(JobsClient jobs, string connectionString, int rows, int samples, Action<string> progress)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var fill = Stopwatch.StartNew();
        if (rows > 0)
        {
            await FinishedRows.InsertAsync(dataSource, rows, oldRows: rows);
        }

        var total = await ScalarAsync(dataSource, "SELECT count(*) FROM jobs");
        progress($"list: inserted {rows} rows in {fill.Elapsed.TotalSeconds:F1} s; jobs has {total} rows");

        var deep = await CursorAtAsync(dataSource, "", total / 2);
        var deepFailed = await CursorAtAsync(dataSource, "WHERE state = 'failed'", total / 40);
        var result = new JsonObject
        {
            ["rows"] = total,
            ["fillSeconds"] = Math.Round(fill.Elapsed.TotalSeconds, 1),
            ["firstPage"] = await TimeAsync(jobs, new JobQuery(), samples),
            ["deepPage"] = await TimeAsync(jobs, new JobQuery { After = deep }, samples),
            ["firstPageByState"] = await TimeAsync(jobs, new JobQuery { State = JobState.Failed }, samples),
            ["deepPageByState"] = await TimeAsync(jobs, new JobQuery { State = JobState.Failed, After = deepFailed }, samples),
            ["firstPageByType"] = await TimeAsync(jobs, new JobQuery { Type = "report" }, samples),
            ["firstPageByQueueAndState"] = await TimeAsync(jobs, new JobQuery { Queue = "video", State = JobState.Failed }, samples),
            // Customer 42 is on one row in 10,000; customer 420's rows are all failed (both every 20th).
            ["searchByInstruction"] = await TimeAsync(jobs, new JobQuery { Instruction = """{"customer":"42"}""" }, samples),
            ["searchByStateAndInstruction"] = await TimeAsync(jobs, new JobQuery { State = JobState.Failed, Instruction = """{"customer":"420"}""" }, samples),
            ["searchByCommonInstruction"] = await TimeAsync(jobs, new JobQuery { Instruction = """{"tenant":"big"}""" }, samples),
        };
        progress($"list: {result.ToJsonString()}");
        return result;
    }

    private static async Task<JsonObject> TimeAsync(JobsClient jobs, JobQuery query, int samples)
    {
        var page = await jobs.ListAsync(query); // warm: plan cache, grain activation
        var times = new List<double>(samples);
        for (var i = 0; i < samples; i++)
        {
            var started = Stopwatch.GetTimestamp();
            page = await jobs.ListAsync(query);
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        var result = Stats.Percentiles(times);
        result["items"] = page.Items.Count;
        return result;
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The cursor of the row at <paramref name="offset"/> in newest-first order, in the service's cursor format.</summary>
    private static async Task<string> CursorAtAsync(NpgsqlDataSource dataSource, string where, long offset)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT created_at, id FROM jobs {where} ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT 1");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = offset });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var createdAt = reader.GetFieldValue<DateTimeOffset>(0);
        var id = reader.GetGuid(1);

        // base64url of the microseconds since the epoch (big-endian) and the id (big-endian).
        var bytes = new byte[24];
        BinaryPrimitives.WriteInt64BigEndian(bytes, (createdAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10);
        id.TryWriteBytes(bytes.AsSpan(8), bigEndian: true, out _);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
