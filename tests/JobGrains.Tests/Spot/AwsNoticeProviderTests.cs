using JobGrains.Spot;

namespace JobGrains.Tests.Spot;

/// <summary>The AWS IMDSv2 reader against a stand-in metadata service on loopback.</summary>
public sealed class AwsNoticeProviderTests
{
    private static CancellationToken Within(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Fact]
    public async Task A_token_the_service_no_longer_knows_costs_one_poll_and_the_next_asks_for_a_new_one()
    {
        await using var metadata = await StandInMetadataServer.StartAsync();
        var deadline = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);
        metadata.AwsInstanceAction = deadline;
        using var client = new MetadataClient(metadata.Address, TimeSpan.FromSeconds(30));
        var provider = new AwsNoticeProvider(client, TimeProvider.System);

        Assert.Equal(deadline, (await provider.ReadAsync(Within(60))).Interruption?.Deadline);

        // Long before the token's 6 hours are up, the service forgets it (as on a restart): 401.
        metadata.ForgetAwsToken();
        await Assert.ThrowsAsync<MetadataAnswerException>(() => provider.ReadAsync(Within(60)));

        Assert.Equal(deadline, (await provider.ReadAsync(Within(60))).Interruption?.Deadline);
    }
}
