using Npgsql;

namespace JobGrains.Bench;

/// <summary>One-value queries of the backlog benchmark, with positional parameters (<c>$1</c>, ...).</summary>
internal static class BacklogSql
{
    public static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql, params object[] parameters)
    {
        await using var command = Command(dataSource, sql, parameters);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default! : (T)Convert.ChangeType(value, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A nullable timestamp (min, max), as a UTC time.</summary>
    public static async Task<DateTimeOffset?> TimeAsync(NpgsqlDataSource dataSource, string sql, params object[] parameters)
    {
        await using var command = Command(dataSource, sql, parameters);
        return await command.ExecuteScalarAsync() is DateTime value ? new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc)) : null;
    }

    public static NpgsqlCommand Command(NpgsqlDataSource dataSource, string sql, params object[] parameters)
    {
        var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 600;
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return command;
    }
}
