using JobGrains.Jobs;
using JobGrains.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace JobGrains.Schedules;

/// <summary>
/// Reads and writes <c>job_schedules</c> rows. Schedules change at most once per firing, so each
/// write is one plain statement; <c>version</c> makes every update conditional on the row its
/// writer read. Database failures become <see cref="JobStoreUnavailableException"/>.
/// </summary>
internal sealed partial class ScheduleStore(NpgsqlDataSource dataSource, ILogger<ScheduleStore> logger)
{
    private const string Columns =
        "name, generation, cron, time_zone, misfire, job_type, job_instruction::text, job_queue, job_priority, job_max_attempts, " +
        "job_timeout_seconds, definition_hash, paused, next_fire_at, last_fire_at, last_job_id, created_at, updated_at, version";

    private const string SelectOne = $"SELECT {Columns} FROM job_schedules WHERE name = $1";

    private const string SelectAll = $"SELECT {Columns} FROM job_schedules ORDER BY name LIMIT $1";

    private const string InsertSql = """
        INSERT INTO job_schedules (name, generation, cron, time_zone, misfire, job_type, job_instruction, job_queue, job_priority,
                                   job_max_attempts, job_timeout_seconds, definition_hash, paused, next_fire_at, last_fire_at, last_job_id,
                                   created_at, updated_at, version)
        VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 1)
        ON CONFLICT (name) DO NOTHING
        """;

    // Only what changes after creation: the firing state and the pause flag.
    private const string UpdateSql = """
        UPDATE job_schedules SET paused = $3, next_fire_at = $4, last_fire_at = $5, last_job_id = $6, updated_at = $7, version = version + 1
        WHERE name = $1 AND version = $2
        """;

    private const string DeleteSql = "DELETE FROM job_schedules WHERE name = $1";

    public Task<ScheduleRecord?> LoadAsync(string name) => RunAsync("load a schedule", async () =>
    {
        await using var command = dataSource.CreateCommand(SelectOne);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? Read(reader) : null;
    });

    public Task<IReadOnlyList<ScheduleRecord>> ListAsync(int limit) => RunAsync<IReadOnlyList<ScheduleRecord>>("list schedules", async () =>
    {
        await using var command = dataSource.CreateCommand(SelectAll);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var rows = new List<ScheduleRecord>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(Read(reader));
        }

        return rows;
    });

    /// <summary>Stores a new schedule at version 1. False when a row with its name exists.</summary>
    public Task<bool> InsertAsync(ScheduleRecord schedule) => RunAsync("store a schedule", async () =>
    {
        await using var command = dataSource.CreateCommand(InsertSql);
        var job = schedule.Job;
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = schedule.Name });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = schedule.Generation });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = schedule.Cron });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = schedule.TimeZone });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ToWire(schedule.Misfire) });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = job.Type });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = job.Instruction });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = job.Queue });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = job.Priority });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = job.MaxAttempts });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)job.TimeoutSeconds ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = schedule.DefinitionHash });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = schedule.Paused });
        command.Parameters.Add(Time(schedule.NextFireAt));
        command.Parameters.Add(Time(schedule.LastFireAt));
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)schedule.LastJobId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(Time(schedule.CreatedAt));
        command.Parameters.Add(Time(schedule.UpdatedAt));
        return await command.ExecuteNonQueryAsync() == 1;
    });

    /// <summary>
    /// Writes <paramref name="schedule"/>'s firing state over the row whose version is
    /// <c>schedule.Version</c>. False when the stored version differs (or the row is gone), and
    /// nothing is written.
    /// </summary>
    public Task<bool> UpdateAsync(ScheduleRecord schedule) => RunAsync("update a schedule", async () =>
    {
        await using var command = dataSource.CreateCommand(UpdateSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = schedule.Name });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = schedule.Version });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = schedule.Paused });
        command.Parameters.Add(Time(schedule.NextFireAt));
        command.Parameters.Add(Time(schedule.LastFireAt));
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)schedule.LastJobId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(Time(schedule.UpdatedAt));
        return await command.ExecuteNonQueryAsync() == 1;
    });

    /// <summary>Removes the schedule's row; false when there was none.</summary>
    public Task<bool> DeleteAsync(string name) => RunAsync("delete a schedule", async () =>
    {
        await using var command = dataSource.CreateCommand(DeleteSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        return await command.ExecuteNonQueryAsync() == 1;
    });

    private const string RunOnceWire = "runOnce";

    public static string ToWire(MisfirePolicy policy) => policy == MisfirePolicy.RunOnce ? RunOnceWire : "skip";

    private static MisfirePolicy MisfireFromWire(string wire) => wire == RunOnceWire ? MisfirePolicy.RunOnce : MisfirePolicy.Skip;

    private static NpgsqlParameter Time(DateTimeOffset? time) =>
        new() { Value = time is { } t ? t.UtcDateTime : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz };

    private static ScheduleRecord Read(NpgsqlDataReader reader) => new()
    {
        Name = reader.GetString(0),
        Generation = reader.GetGuid(1),
        Cron = reader.GetString(2),
        TimeZone = reader.GetString(3),
        Misfire = MisfireFromWire(reader.GetString(4)),
        Job = new ScheduledJob
        {
            Type = reader.GetString(5),
            Instruction = reader.GetString(6),
            Queue = reader.GetString(7),
            Priority = reader.GetInt32(8),
            MaxAttempts = reader.GetInt32(9),
            TimeoutSeconds = reader.IsDBNull(10) ? null : reader.GetInt32(10),
        },
        DefinitionHash = reader.GetString(11),
        Paused = reader.GetBoolean(12),
        NextFireAt = JobSql.NullableTime(reader, 13),
        LastFireAt = JobSql.NullableTime(reader, 14),
        LastJobId = reader.IsDBNull(15) ? null : reader.GetGuid(15),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(16),
        UpdatedAt = reader.GetFieldValue<DateTimeOffset>(17),
        Version = reader.GetInt64(18),
    };

    private Task<T> RunAsync<T>(string what, Func<Task<T>> statement) => StoreFailures.RunAsync(logger, what, statement);
}
