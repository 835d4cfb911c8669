using Npgsql;

namespace JobGrains.Storage;

/// <summary>The silo's PostgreSQL data source, set up for the job store's batched statements.</summary>
internal static class StoreDataSource
{
    public static NpgsqlDataSource Create(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var settings = builder.ConnectionStringBuilder;

        // The batch statements are prepared once per connection. A generic plan made while `jobs`
        // was small joins each batch to a scan of the whole table, and keeps doing so as the table
        // grows until the next ANALYZE: a 100 s benchmark read 70 million rows that way, most of
        // PostgreSQL's CPU. Planning each execution for its own batch costs far less than one scan.
        settings.Options = $"{settings.Options} -c plan_cache_mode=force_custom_plan".Trim();

        // Nothing here leaves session state behind: a connection needs no reset on its way back to the pool.
        settings.NoResetOnClose = true;
        return builder.Build();
    }
}
