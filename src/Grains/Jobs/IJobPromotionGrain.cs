namespace JobGrains.Jobs;

/// <summary>
/// The job grain's face to the scheduler, kept out of the public <see cref="IJobGrain"/>: only
/// silos promote jobs. Same grain, same key (the job's id).
/// </summary>
[Alias("jobgrains.IJobPromotionGrain")]
internal interface IJobPromotionGrain : IGrainWithGuidKey
{
    /// <summary>Moves a scheduled job whose time has come to <c>queued</c>; a job woken early is handed back to wait.</summary>
    [Alias("Promote")]
    Task PromoteAsync();
}
