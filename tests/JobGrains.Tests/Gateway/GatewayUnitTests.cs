using JobGrains.Gateway.Auth;
using JobGrains.Gateway.Events;
using JobGrains.Gateway.Options;
using JobGrains.Jobs;

namespace JobGrains.Tests.Gateway;

/// <summary>The gateway's small parts on their own.</summary>
public sealed class GatewayUnitTests
{
    private static ApiKeyVerifier Verifier()
    {
        var options = new AuthOptions();
        options.Keys.Add("admin-key-0123456789");
        options.ReadOnlyKeys.Add("reader-key-0123456789");
        return new ApiKeyVerifier(Microsoft.Extensions.Options.Options.Create(options));
    }

    [Theory]
    [InlineData("admin-key-0123456789", "Admin")]
    [InlineData("reader-key-0123456789", "ReadOnly")]
    [InlineData("admin-key-012345678", "None")]
    [InlineData("admin-key-01234567890", "None")]
    [InlineData("ADMIN-KEY-0123456789", "None")]
    [InlineData("", "None")]
    public void Keys_are_matched_exactly(string presented, string expected) =>
        Assert.Equal(Enum.Parse<ApiKeyRole>(expected), Verifier().Verify(presented));

    [Fact]
    public void A_very_long_presented_key_is_simply_wrong() =>
        Assert.Equal(ApiKeyRole.None, Verifier().Verify(new string('k', 100_000)));

    [Fact]
    public void Auth_options_without_keys_fail_validation()
    {
        var result = new AuthOptionsValidator().Validate(null, new AuthOptions());
        Assert.True(result.Failed);
        Assert.Contains("No API key", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_view_older_than_one_relayed_is_dropped_and_old_entries_are_swept()
    {
        var time = new ManualTime();
        var versions = new JobVersions(time);
        var id = Guid.NewGuid();
        Assert.True(versions.TryAdvance(View(id, 2)));
        Assert.False(versions.TryAdvance(View(id, 1)));
        Assert.False(versions.TryAdvance(View(id, 2)));
        Assert.True(versions.TryAdvance(View(id, 3)));

        time.Advance(JobVersions.Retention + TimeSpan.FromSeconds(1));
        Assert.True(versions.TryAdvance(View(Guid.NewGuid(), 1)));
        Assert.Equal(1, versions.Count);
    }

    private static JobView View(Guid id, long version) => new()
    {
        Id = id,
        Type = "echo",
        Queue = "default",
        Instruction = "{}",
        Version = version,
    };

    /// <summary>A clock that moves only when told (the test project has no FakeTimeProvider).</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = TimeSpan.TicksPerDay;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
