using JobGrains.Jobs;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace JobGrains.Storage;

/// <summary>
/// How the stores report PostgreSQL being away: as <see cref="JobStoreUnavailableException"/>,
/// which callers across the cluster understand (driver exceptions do not cross grain calls) and
/// the gateway answers with 503.
/// </summary>
internal static partial class StoreFailures
{
    /// <summary>Runs a statement; a database failure becomes <see cref="JobStoreUnavailableException"/>.</summary>
    public static async Task<T> RunAsync<T>(ILogger logger, string what, Func<Task<T>> statement)
    {
        try
        {
            return await statement();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw Unavailable(logger, what, e);
        }
    }

    /// <summary>Logs the failure to <paramref name="what"/> and returns the exception to hand to callers.</summary>
    public static JobStoreUnavailableException Unavailable(ILogger logger, string what, Exception e)
    {
        LogUnavailable(logger, e, what);
        return new JobStoreUnavailableException($"PostgreSQL is unavailable: could not {what} ({e.Message}).");
    }

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "PostgreSQL is unavailable: could not {What}")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, string what);
}
