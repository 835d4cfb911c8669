using JobGrains.Storage;
using Npgsql;

namespace JobGrains.Abilities;

/// <summary>The <c>silo_abilities</c> and <c>job_types</c> tables: what each live silo can run, and every type the cluster has known.</summary>
internal sealed class SiloAbilityStore(NpgsqlDataSource dataSource)
{
    /// <summary>Records what <paramref name="silo"/> can run, and adds its types to the cluster's known types.</summary>
    public async Task RegisterAsync(string silo, string name, SiloAbilities abilities, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        var register = new NpgsqlBatchCommand("""
            INSERT INTO silo_abilities (silo, name, types, tags, updated_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (silo) DO UPDATE SET name = EXCLUDED.name, types = EXCLUDED.types, tags = EXCLUDED.tags, updated_at = EXCLUDED.updated_at
            """);
        register.Parameters.Add(new NpgsqlParameter<string> { TypedValue = silo });
        register.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        register.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. abilities.Types.Order(StringComparer.Ordinal)] });
        register.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. abilities.Tags.Order(StringComparer.Ordinal)] });
        register.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
        batch.BatchCommands.Add(register);
        var types = new NpgsqlBatchCommand("INSERT INTO job_types (type, registered_at) SELECT unnest($1::text[]), $2 ON CONFLICT (type) DO NOTHING");
        types.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. abilities.Types] });
        types.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
        batch.BatchCommands.Add(types);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Forgets the abilities of every silo but <paramref name="alive"/>; returns how many were forgotten.</summary>
    public async Task<int> RetainOnlyAsync(IReadOnlyCollection<string> alive, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM silo_abilities WHERE NOT (silo = ANY($1))");
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. alive] });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Forgets what <paramref name="silo"/> can run: it leaves.</summary>
    public async Task UnregisterAsync(string silo, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM silo_abilities WHERE silo = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = silo });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>What the silos that have not left can run, by silo.</summary>
    public async Task<IReadOnlyDictionary<string, SiloAbilities>> LoadLiveAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT silo, types, tags FROM silo_abilities");
        var silos = new Dictionary<string, SiloAbilities>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            silos[reader.GetString(0)] = new SiloAbilities(reader.GetFieldValue<string[]>(1), reader.GetFieldValue<string[]>(2));
        }

        return silos;
    }

    /// <summary>Every job type a silo of the cluster has ever registered.</summary>
    public async Task<IReadOnlySet<string>> LoadKnownTypesAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT type FROM job_types");
        var types = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            types.Add(reader.GetString(0));
        }

        return types;
    }
}
