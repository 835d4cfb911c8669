using System.Globalization;

namespace JobGrains.Bench;

/// <summary>
/// A silo of the stack that scripts/bench.sh started: <c>silo-N</c> with its pid. Its ports follow
/// from N and the stack's first silo port (the scripts' contract): silo-to-silo traffic on
/// base + N - 1, which its attempts' <c>silo</c> column names (<c>host:port@generation</c>), and
/// metrics on base + 200 + N - 1.
/// </summary>
internal sealed record BacklogSilo(string Name, int Pid, int SiloPort, int MetricsPort)
{
    /// <summary>Parses <c>silo-N=PID</c>.</summary>
    public static BacklogSilo Parse(string text, int basePort)
    {
        var parts = text.Split('=', 2);
        var number = int.Parse(parts[0]["silo-".Length..], CultureInfo.InvariantCulture);
        return new BacklogSilo(parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture), basePort + number - 1, basePort + 200 + number - 1);
    }

    /// <summary>A LIKE pattern that matches this silo's address in <c>job_attempts.silo</c>.</summary>
    public string AddressPattern => $"%:{SiloPort.ToString(CultureInfo.InvariantCulture)}@%";
}
