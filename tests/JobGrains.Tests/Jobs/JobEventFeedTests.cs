using System.Collections.Concurrent;
using JobGrains.Client;
using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace JobGrains.Tests.Jobs;

[Collection(ClusterCollection.Name)]
public sealed class JobEventFeedTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_new_observer_receives_every_change_committed_after_its_subscription_returns()
    {
        // Each round is a new observer, so each registration is new to every silo's publisher.
        for (var round = 0; round < 3; round++)
        {
            await using var feed = new JobEventFeed(fixture.Client, new TransientRetry(new JobsClientOptions(), TimeProvider.System), NullLogger<JobEventFeed>.Instance);
            var seen = new ConcurrentQueue<JobView>();
            await using var subscription = await feed.SubscribeAsync(views =>
            {
                foreach (var view in views)
                {
                    seen.Enqueue(view);
                }
            });

            var id = (await fixture.Jobs.SubmitAsync(new JobSubmission { Type = "echo", Instruction = "{}" })).Job!.Id;

            await Eventually.MatchesAsync(
                () => Task.FromResult(seen.Any(v => v.Id == id && v.State == JobState.Succeeded)), done => done,
                $"round {round}: the feed to see job {id} succeed");
            var versions = seen.Where(v => v.Id == id).Select(v => v.Version).ToList();
            Assert.Equal(Enumerable.Range(1, versions.Count).Select(v => (long)v), versions);
            Assert.Equal(JobState.Queued, seen.First(v => v.Id == id).State);
        }
    }
}
