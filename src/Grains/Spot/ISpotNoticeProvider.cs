namespace JobGrains.Spot;

/// <summary>One cloud's metadata protocol for interruption notices.</summary>
internal interface ISpotNoticeProvider
{
    /// <summary>
    /// Looks once. May block for up to <see cref="SpotNoticeOptions.PollInterval"/> where the
    /// service can wait for a change (GCP); throws when the service is away or answers nonsense.
    /// </summary>
    Task<MetadataReading> ReadAsync(CancellationToken cancellationToken);

    /// <summary>Tells the cloud the silo is done with <paramref name="interruption"/> (Azure: start the event now); a no-op elsewhere.</summary>
    Task AcknowledgeAsync(Interruption interruption, CancellationToken cancellationToken);
}
