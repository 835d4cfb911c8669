namespace JobGrains.Dispatch;

/// <summary>Keys of the dispatcher grains.</summary>
internal static class JobDispatcherGrainKeys
{
    /// <summary>The one dispatcher of the cluster.</summary>
    public const long Default = 0;
}
