namespace JobGrains.Spot;

/// <summary>What one look at the metadata service found.</summary>
internal sealed record MetadataReading
{
    public static readonly MetadataReading Quiet = new();

    /// <summary>The machine is about to be taken; null while it is not.</summary>
    public Interruption? Interruption { get; init; }

    /// <summary>The cloud recommends moving work off this machine (AWS rebalance recommendation).</summary>
    public bool RebalanceRecommended { get; init; }
}

/// <summary>An interruption notice: its kind (also the metric's label), the deadline, and the event to acknowledge (Azure).</summary>
internal sealed record Interruption(string Kind, DateTimeOffset Deadline, string? EventId = null);

/// <summary>The notice kinds, as the cluster view and the metrics name them.</summary>
internal static class NoticeKinds
{
    public const string AwsInstanceAction = "aws-instance-action";
    public const string AwsRebalance = "aws-rebalance";
    public const string GcpPreempted = "gcp-preempted";
    public const string AzurePreempt = "azure-preempt";
}

/// <summary>The metadata service answered something this silo cannot read.</summary>
internal sealed class MetadataAnswerException(string message, Exception? inner = null) : Exception(message, inner);
