using Npgsql;

namespace JobGrains.Storage;

/// <summary>The silo's PostgreSQL data source, set up for the job store's batched statements.</summary>
internal static class StoreDataSource
{
    public static NpgsqlDataSource Create(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var settings = builder.ConnectionStringBuilder;

        // Every statement of the stores finds its rows through an index: by key, or a range of
        // one. The batch statements are prepared once per connection, and PostgreSQL soon plans
        // them once for all batches. A plan made while `jobs` was small could hash-join each
        // batch to a scan of the whole table, and kept doing so as the table grew until the next
        // ANALYZE: a 100 s benchmark read 70 million rows that way, most of PostgreSQL's CPU.
        // Without joins by hash or merge and without sequential scans, a plan made at any size is
        // the one for every size. (Planning each batch anew also avoids it, at 0.4 ms a batch.)
        settings.Options = $"{settings.Options} -c enable_hashjoin=off -c enable_mergejoin=off -c enable_seqscan=off".Trim();

        // Nothing here leaves session state behind: a connection needs no reset on its way back to the pool.
        settings.NoResetOnClose = true;
        return builder.Build();
    }
}
