namespace JobGrains.Scheduling;

/// <summary>Keys of the scheduler grains.</summary>
internal static class JobSchedulerGrainKeys
{
    /// <summary>The one scheduler of the cluster.</summary>
    public const long Default = 0;
}
