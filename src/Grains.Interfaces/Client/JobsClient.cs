using System.Runtime.CompilerServices;
using System.Threading.Channels;
using JobGrains.Cluster;
using JobGrains.Jobs;

namespace JobGrains.Client;

/// <summary>
/// The typed way for a .NET service to use JobGrains through an Orleans client: submit, get,
/// list, cancel, retry and watch jobs. Register it with
/// <see cref="JobGrainsClientExtensions.UseJobGrains"/>. Calls that fail because a silo or
/// gateway went away (spot machines do) are retried for up to <see cref="TransientRetryLimit"/>;
/// that is safe because every call is idempotent: a submission keeps the id chosen for it.
/// </summary>
public sealed partial class JobsClient(IClusterClient cluster, JobEventFeed feed)
{
    /// <summary>Most submissions of <see cref="SubmitManyAsync"/> that share one message.</summary>
    public const int IntakeSliceSize = 100;

    private const int IntakeKeys = 64;
    private long _nextIntake;

    /// <summary>
    /// Stores a job and returns once it is durable. With an idempotency key, a repeat returns the
    /// stored job (<see cref="SubmitStatus.Existing"/>); a different body under the same key is
    /// <see cref="SubmitStatus.Conflict"/>. Invalid submissions are answered, not thrown.
    /// Submitted inside an activity (<see cref="System.Diagnostics.Activity.Current"/>), the
    /// job's spans, down to the attempts that run it, continue that activity's trace.
    /// </summary>
    /// <exception cref="JobStoreUnavailableException">PostgreSQL is unavailable; nothing was stored.</exception>
    public async Task<SubmitResult> SubmitAsync(JobSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        return (await SubmitSliceAsync([new IdentifiedSubmission(JobIds.For(submission), submission)]))[0];
    }

    /// <summary>How long calls are retried while the cluster has no reachable silo.</summary>
    public static TimeSpan TransientRetryLimit => TransientRetry.Limit;

    /// <summary>
    /// Submits many jobs at once; the results come in the order of <paramref name="submissions"/>.
    /// They travel in slices of up to <see cref="IntakeSliceSize"/>, one message a slice, and the
    /// slices take the silos in turn.
    /// </summary>
    public async Task<IReadOnlyList<SubmitResult>> SubmitManyAsync(IEnumerable<JobSubmission> submissions)
    {
        ArgumentNullException.ThrowIfNull(submissions);
        var identified = submissions.Select(s => new IdentifiedSubmission(JobIds.For(s ?? throw new ArgumentException("A submission is null.", nameof(submissions))), s));
        var slices = await Task.WhenAll(identified.Chunk(IntakeSliceSize).Select(SubmitSliceAsync));
        return [.. slices.SelectMany(slice => slice)];
    }

    private Task<IReadOnlyList<SubmitResult>> SubmitSliceAsync(IdentifiedSubmission[] slice)
    {
        // The client sends all calls to one grain through one gateway, and spreads grains over its
        // gateways: a different intake key per slice spreads the slices over the silos. Ids are
        // chosen before the first try, so a retry meets the rows that the first try stored.
        var intake = cluster.GetGrain<IJobIntakeGrain>(Interlocked.Increment(ref _nextIntake) % IntakeKeys);
        return TransientRetry.RunAsync(() => CallerTraceContext.RunAsync(() => intake.SubmitManyAsync(slice)));
    }

    /// <summary>The job's current view; null when there is no such job.</summary>
    public Task<JobView?> GetAsync(Guid id) => TransientRetry.RunAsync(() => cluster.GetGrain<IJobGrain>(id).GetAsync());

    /// <summary>A page of jobs, newest first.</summary>
    /// <exception cref="InvalidCursorException"><see cref="JobQuery.After"/> is not a cursor of this service.</exception>
    public Task<JobPage> ListAsync(JobQuery query) =>
        TransientRetry.RunAsync(() => cluster.GetGrain<IJobQueryGrain>(0).ListAsync(query ?? new JobQuery()));

    /// <summary>The job types the cluster can run.</summary>
    public Task<IReadOnlyList<string>> GetJobTypesAsync() =>
        TransientRetry.RunAsync(() => cluster.GetGrain<IJobQueryGrain>(0).GetJobTypesAsync());

    /// <summary>Cancels a job in any non-terminal state.</summary>
    public Task<JobCommandResult> CancelAsync(Guid id) => TransientRetry.RunAsync(() => cluster.GetGrain<IJobGrain>(id).CancelAsync());

    /// <summary>Starts a new series of attempts for a failed or cancelled job.</summary>
    public Task<JobCommandResult> RetryAsync(Guid id) => TransientRetry.RunAsync(() => cluster.GetGrain<IJobGrain>(id).RetryAsync());

    /// <summary>The job's attempts, oldest first.</summary>
    public Task<IReadOnlyList<AttemptView>> GetAttemptsAsync(Guid id) =>
        TransientRetry.RunAsync(() => cluster.GetGrain<IJobGrain>(id).GetAttemptsAsync());

    /// <summary>
    /// The job's current view, then its later changes in version order, ending after the terminal
    /// one; a change overtaken by a newer one on its way is skipped.
    /// Empty for an unknown job. Should a change notice be lost, the job is re-read every
    /// <paramref name="recheckEvery"/> (default 5 s), so the watch always ends.
    /// </summary>
    public async IAsyncEnumerable<JobView> WatchAsync(Guid id, TimeSpan? recheckEvery = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var changes = Channel.CreateUnbounded<JobView>(new UnboundedChannelOptions { SingleReader = true });
        await using var subscription = await feed.SubscribeAsync(views =>
        {
            foreach (var view in views)
            {
                if (view.Id == id)
                {
                    changes.Writer.TryWrite(view);
                }
            }
        });

        // Subscribed first, read second: nothing falls between, and versions drop the overlap.
        var current = await GetAsync(id);
        if (current is null)
        {
            yield break;
        }

        yield return current;
        var recheck = recheckEvery ?? TimeSpan.FromSeconds(5);
        while (!current.State.IsTerminal())
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(recheck);
            JobView? next;
            try
            {
                next = await changes.Reader.ReadAsync(wait.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                next = await GetAsync(id);
            }

            if (next is not null && next.Version > current.Version)
            {
                current = next;
                yield return current;
            }
        }
    }

    /// <summary>Waits for the job to end and returns its final view; null for an unknown job.</summary>
    public async Task<JobView?> WaitForCompletionAsync(Guid id, CancellationToken cancellationToken = default)
    {
        JobView? last = null;
        await foreach (var view in WatchAsync(id, cancellationToken: cancellationToken))
        {
            last = view;
        }

        return last;
    }

    /// <summary>The silos and queues of the cluster.</summary>
    public Task<ClusterView> GetClusterAsync() => TransientRetry.RunAsync(() => cluster.GetGrain<IClusterGrain>(0).GetViewAsync());
}
