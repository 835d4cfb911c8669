namespace JobGrains.Jobs;

/// <summary>
/// The connection to PostgreSQL broke after a commit was sent, and whether it went through could
/// not be found out: what was written may have been stored. Unlike its base,
/// <see cref="JobStoreUnavailableException"/>, this does not say that nothing was stored. A
/// submission sent again with the same idempotency key meets the stored job if there is one, which
/// is why callers should always send one. The gateway answers 503 with its own problem type.
/// </summary>
[GenerateSerializer]
[Alias("jobgrains.JobCommitUnknownException")]
public sealed class JobCommitUnknownException : JobStoreUnavailableException
{
    public JobCommitUnknownException()
    {
    }

    public JobCommitUnknownException(string message)
        : base(message)
    {
    }

    public JobCommitUnknownException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
