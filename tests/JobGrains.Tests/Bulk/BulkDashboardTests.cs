using JobGrains.Tests.Gateway;
using JobGrains.Tests.Gateway.Browser;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Bulk;

/// <summary>
/// The dashboard's search by instruction and "retry all matching", in headless Chromium against
/// the real gateway: the list shows only the matching jobs, the count comes first, and the retry
/// happens only once confirmed.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class BulkDashboardTests(GatewayFixture fixture, ITestOutputHelper output)
{
    [ChromiumFact]
    public async Task Search_by_instruction_lists_the_matching_jobs_and_retry_all_matching_counts_asks_then_retries_them()
    {
        var customer = Guid.NewGuid().ToString("N")[..12];
        var queue = $"bulk-dashboard-{customer}";
        await JobRows.InsertAsync(fixture.Cluster.Database, 12, "failed", "echo", queue, customer);
        await JobRows.InsertAsync(fixture.Cluster.Database, 5, "failed", "echo", queue, "not-" + customer);
        await using var browser = await Chromium.StartAsync();
        await using var page = await CdpPage.OpenAsync(browser.DevTools);
        await page.NavigateAsync(new Uri(fixture.BaseAddress, $"/#key={GatewayFixture.AdminKey}"));
        await page.WaitForAsync("document.getElementById('live-status').dataset.state === 'on'", "the dashboard to connect to the hub");
        try
        {
            await page.EvaluateAsync($$"""
                document.getElementById('filter-state').value = 'failed';
                document.getElementById('filter-instruction').value = '{"customer": "{{customer}}"}';
                document.getElementById('filters').requestSubmit();
                true
                """);
            await page.WaitForAsync("document.querySelectorAll('#jobs tbody tr').length === 12", "the 12 matching jobs to be listed");

            // The count first; nothing changes until it is confirmed.
            await page.ClickAsync("#bulk-retry");
            await page.WaitForAsync("document.getElementById('bulk-dialog').open", "the confirmation with the count");
            var message = (await page.EvaluateAsync("document.getElementById('bulk-message').textContent")).GetString()!;
            output.WriteLine(message);
            Assert.StartsWith("Retry 12 failed or cancelled jobs matching", message, StringComparison.Ordinal);
            Assert.Equal(17, await fixture.Cluster.Database.ScalarAsync<long>("select count(*) from jobs where queue = $1 and state = 'failed'", queue));

            await page.ClickAsync("#bulk-confirm");
            await Eventually.MatchesAsync(
                () => fixture.Cluster.Database.ScalarAsync<long>("select count(*) from jobs where queue = $1 and state = 'succeeded'", queue),
                n => n == 12, "the 12 matching jobs to be retried and succeed", TimeSpan.FromSeconds(60));
            await page.WaitForAsync("document.getElementById('toast').textContent.includes('12 of 12')", "the dashboard to report the operation done");
            Assert.Equal(5, await fixture.Cluster.Database.ScalarAsync<long>("select count(*) from jobs where queue = $1 and state = 'failed'", queue));
            Assert.DoesNotContain(page.Console, line => line.StartsWith("exception", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var line in page.Console)
            {
                output.WriteLine($"console: {line}");
            }
        }
    }
}
