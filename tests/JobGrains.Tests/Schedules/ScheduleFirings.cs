using JobGrains.Jobs;
using JobGrains.Schedules;
using JobGrains.Tests.Infrastructure;
using Npgsql;

namespace JobGrains.Tests.Schedules;

/// <summary>One job a schedule created, as the <c>jobs</c> table has it.</summary>
public sealed record Firing(DateTimeOffset FireTime, DateTimeOffset CreatedAt, string State, Guid JobId);

/// <summary>Reads the jobs of one schedule generation back from PostgreSQL, by their idempotency keys.</summary>
public static class ScheduleFirings
{
    public static ScheduleDefinition EverySecond(string name, MisfirePolicy misfire = MisfirePolicy.Skip) => new()
    {
        Name = name,
        Cron = "* * * * * *",
        Misfire = misfire,
        Job = new ScheduledJob { Type = "echo", Instruction = $$"""{"schedule": "{{name}}"}""", Queue = "schedules" },
    };

    /// <summary>The firings of <paramref name="schedule"/>'s generation, by fire time.</summary>
    public static async Task<IReadOnlyList<Firing>> ReadAsync(TestDatabase database, ScheduleView schedule)
    {
        var prefix = ScheduleKeys.ForSchedule(schedule.Name, schedule.Generation);
        await using var command = database.DataSource.CreateCommand(
            "select idempotency_key, created_at, state, id from jobs where left(idempotency_key, length($1)) = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = prefix });
        var firings = new List<Firing>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var fireTime = ScheduleKeys.FireTimeOf(reader.GetString(0)) ?? throw new InvalidOperationException($"Not a firing key: {reader.GetString(0)}");
            firings.Add(new Firing(fireTime, reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2), reader.GetGuid(3)));
        }

        return [.. firings.OrderBy(f => f.FireTime)];
    }

    /// <summary>Asserts that the fire times are whole seconds, each one second after the one before: none missing, none twice.</summary>
    public static void AssertEverySecond(IReadOnlyList<Firing> firings)
    {
        Assert.NotEmpty(firings);
        Assert.Equal(firings.Count, firings.Select(f => f.FireTime).Distinct().Count());
        for (var i = 1; i < firings.Count; i++)
        {
            Assert.True(firings[i].FireTime - firings[i - 1].FireTime == TimeSpan.FromSeconds(1),
                $"after {firings[i - 1].FireTime:O} came {firings[i].FireTime:O}: {firings[i].FireTime - firings[i - 1].FireTime} apart");
        }
    }

    /// <summary>How late each job was created after its fire time, as "p50 / max" in milliseconds.</summary>
    public static string Lateness(IEnumerable<Firing> firings)
    {
        var late = firings.Select(f => (f.CreatedAt - f.FireTime).TotalMilliseconds).Order().ToList();
        return late.Count == 0 ? "none" : $"p50 {late[late.Count / 2]:0} ms, max {late[^1]:0} ms";
    }

    public static Task<long> CountStateAsync(TestDatabase database, ScheduleView schedule, JobState state) =>
        CountAsync(database, schedule, "state = '" + state.ToWire() + "'");

    private static async Task<long> CountAsync(TestDatabase database, ScheduleView schedule, string condition) =>
        await database.ScalarAsync<long>(
            $"select count(*) from jobs where left(idempotency_key, length($1)) = $1 and {condition}",
            ScheduleKeys.ForSchedule(schedule.Name, schedule.Generation));
}
