using Npgsql;

namespace JobGrains.Tests.Infrastructure;

public static class DataSourceExtensions
{
    /// <summary>The first column of the first row of <paramref name="sql"/> (parameters <c>$1</c>, <c>$2</c>...), or default for none or null.</summary>
    public static async Task<T?> ScalarAsync<T>(this NpgsqlDataSource dataSource, string sql, params object[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }
}
