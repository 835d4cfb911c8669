namespace JobGrains.Client;

/// <summary>
/// How <see cref="JobsClient"/> rides out a cluster whose silos come and go. Set it through
/// <see cref="JobGrainsClientExtensions.UseJobGrains"/> or
/// <c>services.Configure&lt;JobsClientOptions&gt;(...)</c>.
/// </summary>
public sealed class JobsClientOptions
{
    /// <summary>
    /// How long a call that failed because a silo or gateway went away is tried again, while the
    /// client finds another one. Zero turns retries off. Default 30 s: longer than the cluster
    /// takes to declare a dead silo dead.
    /// </summary>
    public TimeSpan TransientRetryLimit { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest pause between two tries of one call. Default 1 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long one call waits for its answer before it counts as lost (and is tried again).
    /// Every JobGrains call answers in milliseconds; a call lost with a dying gateway should fail
    /// in seconds, not after Orleans' default of 30 s. Default 10 s.
    /// </summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The cluster to join; silos and clients of one cluster share it. Default <c>jobgrains</c>.</summary>
    public string ClusterId { get; set; } = "jobgrains";

    /// <summary>Mutual TLS to the silos, for a cluster that has it on (<c>JobGrains:Tls</c>). Default off.</summary>
    public ClusterTlsOptions? Tls { get; set; }
}
