using System.Runtime.CompilerServices;
using System.Threading.Channels;
using JobGrains.Cluster;
using JobGrains.Jobs;
using Microsoft.Extensions.Options;

namespace JobGrains.Client;

/// <summary>
/// <see cref="IJobsClient"/> over an Orleans client. Register it with
/// <see cref="JobGrainsClientExtensions.UseJobGrains"/>. Calls that fail because a silo or
/// gateway went away (spot machines do) are retried for up to
/// <see cref="JobsClientOptions.TransientRetryLimit"/>; that is safe because every call is
/// idempotent: a submission keeps the id chosen for it. Submissions are checked here by the same
/// rules the REST API applies (<see cref="SubmissionValidator"/>), before anything is sent.
/// </summary>
public sealed partial class JobsClient : IJobsClient
{
    /// <summary>Most submissions of <see cref="SubmitManyAsync"/> that share one message.</summary>
    public const int IntakeSliceSize = 100;

    private const int IntakeKeys = 64;
    private readonly IClusterClient _cluster;
    private readonly JobEventFeed _feed;
    private readonly TransientRetry _retry;
    private long _nextIntake;

    internal JobsClient(IClusterClient cluster, JobEventFeed feed, TransientRetry retry)
    {
        _cluster = cluster;
        _feed = feed;
        _retry = retry;
    }

    /// <summary>This process's feed of job changes, which <see cref="WatchAsync"/> listens to.</summary>
    public JobEventFeed Feed => _feed;

    /// <inheritdoc/>
    public async Task<SubmitResult> SubmitAsync(JobSubmission submission, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(submission);
        var result = (await SubmitSliceAsync([new IdentifiedSubmission(JobIds.For(submission), submission)], cancellationToken))[0];
        return result.Status switch
        {
            SubmitStatus.Unknown => throw new JobCommitUnknownException(result.Problem ?? "The job may have been stored."),
            SubmitStatus.Unavailable => throw new JobStoreUnavailableException(result.Problem ?? "PostgreSQL is unavailable; nothing was stored."),
            _ => result,
        };
    }

    /// <inheritdoc/>
    /// <remarks>
    /// They travel in slices of up to <see cref="IntakeSliceSize"/>, one message a slice, and the
    /// slices take the silos in turn.
    /// </remarks>
    public async Task<IReadOnlyList<SubmitResult>> SubmitManyAsync(IEnumerable<JobSubmission> submissions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(submissions);
        var identified = submissions.Select(s => new IdentifiedSubmission(JobIds.For(s ?? throw new ArgumentException("A submission is null.", nameof(submissions))), s));
        var slices = await Task.WhenAll(identified.Chunk(IntakeSliceSize).Select(slice => SubmitSliceOrTellAsync(slice, cancellationToken)));
        return [.. slices.SelectMany(slice => slice)];
    }

    /// <summary>
    /// A slice's answers; when the slice got none (its silo went away, its call timed out), each of its
    /// jobs is <see cref="SubmitStatus.Unknown"/>, so that the other slices' answers still count.
    /// </summary>
    private async Task<IReadOnlyList<SubmitResult>> SubmitSliceOrTellAsync(IdentifiedSubmission[] slice, CancellationToken cancellationToken)
    {
        try
        {
            return await SubmitSliceAsync(slice, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return [.. slice.Select(_ => new SubmitResult(SubmitStatus.Unknown, null, $"The job's slice of the batch got no answer, so it may have been stored: {e.Message}"))];
        }
    }

    private async Task<IReadOnlyList<SubmitResult>> SubmitSliceAsync(IdentifiedSubmission[] slice, CancellationToken cancellationToken)
    {
        // Refused here by the rules every path shares, without a round trip; only valid ones travel.
        var results = new SubmitResult?[slice.Length];
        var valid = new List<IdentifiedSubmission>(slice.Length);
        var positions = new List<int>(slice.Length);
        for (var i = 0; i < slice.Length; i++)
        {
            if (SubmissionValidator.FindProblem(slice[i].Submission) is { } problem)
            {
                results[i] = new SubmitResult(SubmitStatus.Invalid, null, problem);
            }
            else
            {
                valid.Add(slice[i]);
                positions.Add(i);
            }
        }

        if (valid.Count > 0)
        {
            // The client sends all calls to one grain through one gateway, and spreads grains over
            // its gateways: a different intake key per slice spreads the slices over the silos. Ids
            // are chosen before the first try, so a retry meets the rows that the first try stored.
            var intake = _cluster.GetGrain<IJobIntakeGrain>(Interlocked.Increment(ref _nextIntake) % IntakeKeys);
            var stored = await _retry.RunAsync(() => CallerTraceContext.RunAsync(() => intake.SubmitManyAsync([.. valid])), cancellationToken);
            for (var i = 0; i < stored.Count; i++)
            {
                results[positions[i]] = stored[i];
            }
        }

        return results!;
    }

    /// <inheritdoc/>
    public Task<JobView?> GetAsync(Guid id, CancellationToken cancellationToken = default) =>
        _retry.RunAsync(() => _cluster.GetGrain<IJobGrain>(id).GetAsync(), cancellationToken);

    /// <inheritdoc/>
    public Task<JobPage> ListAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        if (InstructionFilter.FindProblem(query?.Instruction) is { } problem)
        {
            throw new ArgumentException(problem, nameof(query));
        }

        return _retry.RunAsync(() => _cluster.GetGrain<IJobQueryGrain>(0).ListAsync(query ?? new JobQuery()), cancellationToken);
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<string>> GetJobTypesAsync(CancellationToken cancellationToken = default) =>
        _retry.RunAsync(() => _cluster.GetGrain<IJobQueryGrain>(0).GetJobTypesAsync(), cancellationToken);

    /// <inheritdoc/>
    public Task<JobCommandResult> CancelAsync(Guid id, CancellationToken cancellationToken = default) =>
        _retry.RunAsync(() => _cluster.GetGrain<IJobGrain>(id).CancelAsync(), cancellationToken);

    /// <inheritdoc/>
    public Task<JobCommandResult> RetryAsync(Guid id, CancellationToken cancellationToken = default) =>
        _retry.RunAsync(() => _cluster.GetGrain<IJobGrain>(id).RetryAsync(), cancellationToken);

    /// <inheritdoc/>
    public Task<IReadOnlyList<AttemptView>> GetAttemptsAsync(Guid id, CancellationToken cancellationToken = default) =>
        _retry.RunAsync(() => _cluster.GetGrain<IJobGrain>(id).GetAttemptsAsync(), cancellationToken);

    /// <inheritdoc/>
    public async IAsyncEnumerable<JobView> WatchAsync(Guid id, TimeSpan? recheckEvery = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var changes = Channel.CreateUnbounded<JobView>(new UnboundedChannelOptions { SingleReader = true });
        await using var subscription = await _feed.SubscribeAsync(views =>
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
        var current = await GetAsync(id, cancellationToken);
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
                next = await GetAsync(id, cancellationToken);
            }

            if (next is not null && next.Version > current.Version)
            {
                current = next;
                yield return current;
            }
        }
    }

    /// <inheritdoc/>
    public async Task<JobView?> WaitForCompletionAsync(Guid id, CancellationToken cancellationToken = default)
    {
        JobView? last = null;
        await foreach (var view in WatchAsync(id, cancellationToken: cancellationToken))
        {
            last = view;
        }

        return last;
    }

    /// <inheritdoc/>
    public Task<ClusterView> GetClusterAsync(CancellationToken cancellationToken = default) =>
        _retry.RunAsync(() => _cluster.GetGrain<IClusterGrain>(0).GetViewAsync(), cancellationToken);
}
