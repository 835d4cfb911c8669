using System.Net;
using System.Text.Json;
using Xunit.Abstractions;

namespace JobGrains.Tests.Gateway.Browser;

/// <summary>
/// The dashboard in headless Chromium against the real gateway on Kestrel: it takes the key from
/// the URL fragment, shows a submitted job go from queued to succeeded live, cancels a running job
/// with its button, and lists schedules with their firings.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class DashboardBrowserTests(GatewayFixture fixture, ITestOutputHelper output)
{
    private static string Row(string id) => $"document.querySelector('#jobs tr[data-job-id=\"{id}\"]')";

    private async Task<string> SubmitAsync(string body)
    {
        using var client = fixture.CreateClient();
        var job = await (await client.PostJsonAsync("api/jobs", body)).AssertStatusAsync(HttpStatusCode.Accepted);
        return job.GetProperty("id").GetString()!;
    }

    private static async Task<CdpPage> OpenDashboardAsync(Chromium browser, Uri baseAddress)
    {
        var page = await CdpPage.OpenAsync(browser.DevTools);
        await page.NavigateAsync(new Uri(baseAddress, $"/#key={GatewayFixture.AdminKey}"));
        await page.WaitForAsync("document.getElementById('live-status').dataset.state === 'on'", "the dashboard to connect to the hub");
        return page;
    }

    [ChromiumFact]
    public async Task Dashboard_shows_a_job_go_from_queued_to_succeeded_live_and_cancels_a_running_job()
    {
        await using var browser = await Chromium.StartAsync();
        await using var page = await OpenDashboardAsync(browser, fixture.BaseAddress);
        try
        {
            // The key left the address bar and lives in the tab's session storage.
            Assert.Equal("", (await page.EvaluateAsync("location.hash")).GetString());
            Assert.Equal(GatewayFixture.AdminKey, (await page.EvaluateAsync("sessionStorage.getItem('jobgrains.apiKey')")).GetString());
            await page.WaitForAsync("document.querySelectorAll('#silos tbody tr').length >= 2", "the silos to be listed");

            // Record every state the job's row shows, from the moment it appears.
            await page.EvaluateAsync("""
                window.__states = {};
                new MutationObserver(() => {
                  for (const tr of document.querySelectorAll('#jobs tbody tr')) {
                    const list = (window.__states[tr.dataset.jobId] ??= []);
                    if (list[list.length - 1] !== tr.dataset.state) list.push(tr.dataset.state);
                  }
                }).observe(document.getElementById('jobs'), { subtree: true, childList: true, attributes: true });
                true
                """);
            // Fill every slot first (2 silos x 8), so that the watched job waits in "queued" long
            // enough to be seen there, then runs as soon as a slot frees.
            using (var blockClient = fixture.CreateClient())
            {
                var blockers = string.Join(",", Enumerable.Repeat("""{"type":"sleep","instruction":{"ms":2000},"queue":"browser-blockers"}""", 20));
                await (await blockClient.PostJsonAsync("api/jobs/batch", $$"""{"jobs":[{{blockers}}]}""")).AssertStatusAsync(HttpStatusCode.Accepted);
            }

            var id = await SubmitAsync("""{"type":"sleep","instruction":{"ms":1200},"queue":"browser"}""");
            await page.WaitForAsync($"{Row(id)} && {Row(id)}.dataset.state === 'succeeded'", $"job {id} to show succeeded");
            var states = (await page.EvaluateAsync($"window.__states['{id}']")).EnumerateArray().Select(s => s.GetString()).ToList();
            output.WriteLine($"states shown for {id}: {string.Join(" -> ", states)}");
            Assert.Equal("queued", states[0]);
            Assert.Equal("succeeded", states[^1]);
            Assert.Contains("running", states);

            // Cancel a running job with the detail's button.
            var running = await SubmitAsync("""{"type":"sleep","instruction":{"ms":60000},"queue":"browser","maxAttempts":1}""");
            await page.WaitForAsync($"{Row(running)} && {Row(running)}.dataset.state === 'running'", $"job {running} to show running");
            await page.ClickAsync($"#jobs tr[data-job-id=\"{running}\"]");
            await page.WaitForAsync(
                $"document.getElementById('detail-id').textContent === '{running}' && !document.getElementById('detail-cancel').disabled",
                "the job's detail with an enabled cancel button");
            await page.ClickAsync("#detail-cancel");
            await page.WaitForAsync("document.getElementById('detail-state').textContent === 'cancelled'", "the detail to show cancelled");
            await page.WaitForAsync($"{Row(running)}.dataset.state === 'cancelled'", "the row to show cancelled");
            Assert.False((await page.EvaluateAsync("document.getElementById('detail-retry').disabled")).GetBoolean());

            using var client = fixture.CreateClient();
            var stored = await (await client.GetAsync($"api/jobs/{running}")).AssertStatusAsync(HttpStatusCode.OK);
            Assert.Equal("cancelled", stored.GetProperty("state").GetString());
            Assert.DoesNotContain(page.Console, line => line.StartsWith("exception", StringComparison.Ordinal));
        }
        finally
        {
            var shot = Path.Combine(Path.GetTempPath(), "jobgrains-dashboard.png");
            await page.ScreenshotAsync(shot);
            output.WriteLine($"screenshot: {shot}");
            foreach (var line in page.Console)
            {
                output.WriteLine($"console: {line}");
            }
        }
    }

    [ChromiumFact]
    public async Task Dashboard_lists_a_schedule_with_its_next_and_last_firing_and_pauses_it()
    {
        using var client = fixture.CreateClient();
        const string name = "browser-schedule";
        var created = await (await client.PostJsonAsync("api/schedules",
                $$$"""{"name":"{{{name}}}","cron":"* * * * * *","job":{"type":"echo","instruction":{"from":"browser"},"queue":"browser-schedules"}}"""))
            .AssertStatusAsync(HttpStatusCode.Created);
        await using var browser = await Chromium.StartAsync();
        await using var page = await OpenDashboardAsync(browser, fixture.BaseAddress);
        var row = $"document.querySelector('#schedules tr[data-schedule=\"{name}\"]')";
        try
        {
            await page.WaitForAsync($"{row} && {row}.dataset.lastFireAt !== '' && {row}.dataset.nextFireAt !== ''", "the schedule with a last and a next firing");
            var shown = await page.EvaluateAsync($"[{row}.dataset.nextFireAt, {row}.dataset.lastFireAt, {row}.dataset.paused, {row}.textContent]");
            var nextFireAt = DateTimeOffset.Parse(shown[0].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            var lastFireAt = DateTimeOffset.Parse(shown[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(nextFireAt > lastFireAt, $"next {nextFireAt:O} after last {lastFireAt:O}");
            Assert.True(lastFireAt >= DateTimeOffset.Parse(created.GetProperty("nextFireAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal("false", shown[2].GetString());
            Assert.Contains("* * * * * *", shown[3].GetString(), StringComparison.Ordinal);
            Assert.Contains("echo", shown[3].GetString(), StringComparison.Ordinal);

            await page.ClickAsync($"#schedules tr[data-schedule=\"{name}\"] button");
            await page.WaitForAsync($"{row}.dataset.paused === 'true' && {row}.dataset.nextFireAt === ''", "the row to show the schedule paused");
            var stored = await (await client.GetAsync($"api/schedules/{name}")).AssertStatusAsync(HttpStatusCode.OK);
            Assert.True(stored.GetProperty("paused").GetBoolean());
            Assert.DoesNotContain(page.Console, line => line.StartsWith("exception", StringComparison.Ordinal));
        }
        finally
        {
            await client.DeleteAsync($"api/schedules/{name}");
            var shot = Path.Combine(Path.GetTempPath(), "jobgrains-dashboard-schedules.png");
            await page.ScreenshotAsync(shot);
            output.WriteLine($"screenshot: {shot}");
        }
    }

    [ChromiumFact]
    public async Task Dashboard_asks_for_the_key_and_refuses_a_wrong_one()
    {
        await using var browser = await Chromium.StartAsync();
        await using var page = await CdpPage.OpenAsync(browser.DevTools);
        await page.NavigateAsync(fixture.BaseAddress);
        await page.WaitForAsync("document.getElementById('key-dialog').open", "the key dialog");
        Assert.Equal(0, (await page.EvaluateAsync("document.querySelectorAll('#jobs tbody tr').length")).GetInt32());

        await page.EvaluateAsync("document.getElementById('key-input').value = 'wrong-key'; document.getElementById('key-form').requestSubmit(); true");
        await page.WaitForAsync("!document.getElementById('key-error').hidden && document.getElementById('key-dialog').open", "the dialog to say the key was refused");
        Assert.Equal(0, (await page.EvaluateAsync("document.querySelectorAll('#jobs tbody tr').length")).GetInt32());

        await page.EvaluateAsync($"document.getElementById('key-input').value = '{GatewayFixture.ReadOnlyKey}'; document.getElementById('key-form').requestSubmit(); true");
        await page.WaitForAsync("document.getElementById('live-status').dataset.state === 'on'", "the dashboard to connect with the read-only key");
        Assert.Equal(JsonValueKind.Number, (await page.EvaluateAsync("document.querySelectorAll('#jobs tbody tr').length")).ValueKind);
    }
}
