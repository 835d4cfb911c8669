using System.Globalization;
using Npgsql;

namespace JobGrains.Bench;

/// <summary>
/// CPU time of the stack's processes, read from <c>/proc</c>. The process named
/// <c>postgres</c> counts with all its children (backends, WAL writer, checkpointer), and with
/// the children it has already reaped.
/// </summary>
internal sealed class ProcessProbe(IReadOnlyDictionary<string, int> processes)
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    public IReadOnlyDictionary<string, int> Processes => processes;

    public Dictionary<string, double> CpuSeconds()
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, pid) in processes)
        {
            var ticks = ReadCpuTicks(pid, withReapedChildren: name == "postgres");
            if (name == "postgres")
            {
                ticks += ChildrenOf(pid).Sum(child => ReadCpuTicks(child, withReapedChildren: false));
            }

            result[name] = ticks / TicksPerSecond;
        }

        result["bench"] = ReadCpuTicks(Environment.ProcessId, false) / TicksPerSecond;

        // The whole machine (all cores busy, from /proc/stat): what is left over is other work
        // on the machine, such as another engineer's test run, and makes a run less comparable.
        result["machine"] = MachineBusyTicks() / TicksPerSecond;
        return result;
    }

    /// <summary>Peak resident set size (VmHWM) of each process but postgres, in MiB.</summary>
    public Dictionary<string, double> PeakRssMiB() => processes
        .Where(p => p.Key != "postgres")
        .ToDictionary(p => p.Key, p => ReadStatusKiB(p.Value, "VmHWM:") / 1024.0, StringComparer.Ordinal);

    /// <summary>Current resident set size (VmRSS) of each process but postgres, in MiB.</summary>
    public Dictionary<string, double> RssMiB() => processes
        .Where(p => p.Key != "postgres")
        .ToDictionary(p => p.Key, p => ReadStatusKiB(p.Value, "VmRSS:") / 1024.0, StringComparer.Ordinal);

    private static long ReadCpuTicks(int pid, bool withReapedChildren)
    {
        var fields = StatFields(pid);
        if (fields is null)
        {
            return 0;
        }

        // After "(comm)": [0] state, [1] ppid, ..., [11] utime, [12] stime, [13] cutime, [14] cstime.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        if (withReapedChildren)
        {
            ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
        }

        return ticks;
    }

    private static long MachineBusyTicks()
    {
        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);

        // cpu user nice system idle iowait irq softirq steal ...
        long busy = 0;
        for (var i = 1; i < Math.Min(cpu.Length, 9); i++)
        {
            if (i is not (4 or 5))
            {
                busy += long.Parse(cpu[i], CultureInfo.InvariantCulture);
            }
        }

        return busy;
    }

    private static string[]? StatFields(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            return text[(text.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static IEnumerable<int> ChildrenOf(int parent)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && StatFields(pid) is { } fields
                && fields[1] == parent.ToString(CultureInfo.InvariantCulture))
            {
                yield return pid;
            }
        }
    }

    private static long ReadStatusKiB(int pid, string key)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }
}

/// <summary>What PostgreSQL did: write transactions (exact, from the transaction id counter), WAL bytes and WAL syncs.</summary>
internal sealed class PostgresProbe(string connectionString)
{
    public async Task<PgSnapshot> SnapshotAsync()
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint, " +
            "pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint, " +
            "(SELECT wal_sync FROM pg_stat_wal), " +
            "(SELECT xact_commit FROM pg_stat_database WHERE datname = current_database())", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new PgSnapshot(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }
}

internal sealed record PgSnapshot(long NextXid, long WalBytes, long WalSyncs, long XactCommit);
