using Npgsql;

namespace JobGrains.Storage;

/// <summary>
/// What the stores that change jobs in a transaction of their own (batches, bulk operations) share
/// with each other: reading the job rows a statement returns, and settling the jobs they ended with
/// the statement the job store's shared commits run too (<see cref="JobSql.Settle"/>).
/// </summary>
internal static class TransactionJobs
{
    /// <summary>Every <c>jobs</c> row of the current result set of <paramref name="reader"/>.</summary>
    public static async Task<List<JobRecord>> ReadRowsAsync(NpgsqlDataReader reader)
    {
        var rows = new List<JobRecord>();
        var read = JobSql.RecordReader(reader);
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>Settles the ends of <paramref name="ended"/> in <paramref name="transaction"/>; returns the rows it changed (none for no jobs).</summary>
    public static async Task<IReadOnlyList<JobRecord>> SettleAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        IReadOnlyList<Guid> ended, DateTimeOffset now)
    {
        if (ended.Count == 0)
        {
            return [];
        }

        await using var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { JobSql.Settle(ended, now) } };
        await using var reader = await batch.ExecuteReaderAsync();
        return await ReadRowsAsync(reader);
    }
}
