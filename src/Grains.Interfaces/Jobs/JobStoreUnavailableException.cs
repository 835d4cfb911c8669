namespace JobGrains.Jobs;

/// <summary>
/// PostgreSQL could not be reached or could not commit, so nothing was acknowledged. The caller
/// may retry later (the gateway answers 503 with Retry-After).
/// </summary>
[GenerateSerializer]
[Alias("jobgrains.JobStoreUnavailableException")]
public class JobStoreUnavailableException : Exception
{
    public JobStoreUnavailableException()
    {
    }

    public JobStoreUnavailableException(string message)
        : base(message)
    {
    }

    public JobStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
