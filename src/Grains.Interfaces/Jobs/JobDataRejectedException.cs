namespace JobGrains.Jobs;

/// <summary>
/// PostgreSQL refused a write's data (a data error: a JSON value that jsonb cannot hold, text it
/// cannot encode), and will refuse it however often it is asked; nothing was stored. The rules
/// checked before a write (<see cref="StorableJson"/>) keep such data out, so this is a last line:
/// the gateway answers 400, and an attempt whose result is refused fails.
/// </summary>
[GenerateSerializer]
[Alias("jobgrains.JobDataRejectedException")]
public sealed class JobDataRejectedException : Exception
{
    public JobDataRejectedException()
    {
    }

    public JobDataRejectedException(string message)
        : base(message)
    {
    }

    public JobDataRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
