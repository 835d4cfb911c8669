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

    private static async Task<int> CountShownAsync(CdpPage page, string state) =>
        int.Parse((await page.EvaluateAsync($"document.querySelector('#counts .count[data-state=\"{state}\"]').dataset.count")).GetString()!,
            System.Globalization.CultureInfo.InvariantCulture);

    [ChromiumFact]
    public async Task Overview_shows_counts_per_state_and_live_charts_that_move_with_failures_in_red()
    {
        using var client = fixture.CreateClient();
        const string pausedQueue = "overview-waiting";
        await using var browser = await Chromium.StartAsync();
        await using var page = await OpenDashboardAsync(browser, fixture.BaseAddress);
        try
        {
            await page.WaitForAsync("document.querySelector('#counts .count[data-state=\"succeeded\"] strong').textContent !== '–'", "the counts per state");
            await page.WaitForAsync("document.querySelector('#chart-rates polyline.started') !== null", "the rate chart");
            var succeededBefore = await CountShownAsync(page, "succeeded");
            var failedBefore = await CountShownAsync(page, "failed");
            var startedLine = "document.querySelector('#chart-rates polyline.started').getAttribute('points')";
            var pointsBefore = (await page.EvaluateAsync(startedLine)).GetString();

            var succeeding = string.Join(",", Enumerable.Repeat("""{"type":"echo","instruction":{"overview":true},"queue":"overview"}""", 6));
            var failing = string.Join(",", Enumerable.Repeat("""{"type":"fail","instruction":{"message":"overview"},"queue":"overview","maxAttempts":1}""", 4));
            await (await client.PostJsonAsync("api/jobs/batch", $$"""{"jobs":[{{succeeding}},{{failing}}]}""")).AssertStatusAsync(HttpStatusCode.Accepted);

            // The live feed moves the rate chart: attempts started, jobs succeeded and failed.
            await page.WaitForAsync(
                "(() => { const c = document.getElementById('chart-rates').dataset; return Number(c.started) >= 10 && Number(c.succeeded) >= 6 && Number(c.failed) >= 4; })()",
                "the rate chart to count the 10 starts, 6 successes and 4 failures");
            await page.WaitForAsync(
                "document.querySelector('#chart-rates polyline.failed').getAttribute('points').split(' ').some(p => Number(p.split(',')[1]) < 119)",
                "the failed line to rise above zero");
            Assert.NotEqual(pointsBefore, (await page.EvaluateAsync(startedLine)).GetString());
            // Failures stand out: a red line, a red count and the share of failures in red.
            Assert.Equal("rgb(214, 69, 69)", (await page.EvaluateAsync("getComputedStyle(document.querySelector('#chart-rates polyline.failed')).stroke")).GetString());
            await page.WaitForAsync("document.getElementById('failure-rate').classList.contains('bad')", "the last minute's failed share in red");

            // The counts come from the table, so they move too.
            await page.WaitForAsync(
                $"Number(document.querySelector('#counts .count[data-state=\"succeeded\"]').dataset.count) >= {succeededBefore + 6}" +
                $" && Number(document.querySelector('#counts .count[data-state=\"failed\"]').dataset.count) >= {failedBefore + 4}",
                "the counts of succeeded and failed jobs to go up");
            Assert.True((await page.EvaluateAsync("document.querySelector('#counts .count[data-state=\"failed\"]').classList.contains('nonzero')")).GetBoolean());

            // Jobs waiting in a paused queue show as that queue's line in the depth chart.
            await (await client.PostAsync($"api/queues/{pausedQueue}/pause", null)).AssertStatusAsync(HttpStatusCode.OK);
            var waiting = string.Join(",", Enumerable.Repeat($$"""{"type":"echo","instruction":{"overview":"waiting"},"queue":"{{pausedQueue}}"}""", 5));
            await (await client.PostJsonAsync("api/jobs/batch", $$"""{"jobs":[{{waiting}}]}""")).AssertStatusAsync(HttpStatusCode.Accepted);
            await page.WaitForAsync(
                $"document.getElementById('chart-depth').dataset.queues.split(',').includes('{pausedQueue}')" +
                $" && document.querySelector('#legend-depth [data-queue=\"{pausedQueue}\"] .now').textContent === '5'",
                "the paused queue's 5 waiting jobs in the depth chart");
            Assert.DoesNotContain(page.Console, line => line.StartsWith("exception", StringComparison.Ordinal));
        }
        finally
        {
            await client.PostAsync($"api/queues/{pausedQueue}/resume", null);
            var shot = Path.Combine(Path.GetTempPath(), "jobgrains-dashboard-overview.png");
            await page.ScreenshotAsync(shot);
            output.WriteLine($"screenshot: {shot}");
            foreach (var line in page.Console)
            {
                output.WriteLine($"console: {line}");
            }
        }
    }

    [ChromiumFact]
    public async Task A_jobs_link_opens_its_detail_and_a_row_far_down_opens_it_in_view()
    {
        var linked = await SubmitAsync("""{"type":"echo","instruction":{"linked":true},"queue":"browser-links"}""");
        await using var browser = await Chromium.StartAsync();
        await using var page = await OpenDashboardAsync(browser, fixture.BaseAddress);

        // A fresh load of the job's address opens its detail (the key stays in the tab).
        await page.NavigateAsync(new Uri(fixture.BaseAddress, $"/?from=link#/jobs/{linked}"));
        await page.WaitForAsync(
            $"!document.getElementById('detail').hidden && document.getElementById('detail-id').textContent === '{linked}'",
            $"the linked job {linked} to open");
        Assert.Equal($"#/jobs/{linked}", (await page.EvaluateAsync("location.hash")).GetString());

        // A row at the bottom of a long page: its detail shows within the window, and gets its address.
        using (var client = fixture.CreateClient())
        {
            var many = string.Join(",", Enumerable.Repeat("""{"type":"echo","instruction":{"long":"list"},"queue":"browser-long-list"}""", 100));
            await (await client.PostJsonAsync("api/jobs/batch", $$"""{"jobs":[{{many}}]}""")).AssertStatusAsync(HttpStatusCode.Accepted);
        }

        await page.EvaluateAsync("""
            document.getElementById('filter-queue').value = 'browser-long-list';
            document.getElementById('filter-limit').value = '100';
            document.getElementById('filters').requestSubmit(); true
            """);
        // Each live update of a row replaces it, so the click waits until the rows have stopped changing.
        await page.WaitForAsync(
            "document.querySelectorAll('#jobs tbody tr').length === 100 && [...document.querySelectorAll('#jobs tbody tr')].every(tr => tr.dataset.state === 'succeeded')",
            "a page of 100 succeeded jobs");
        var last = (await page.EvaluateAsync("document.querySelector('#jobs tbody tr:last-child').dataset.jobId")).GetString()!;
        await page.ClickAsync("#jobs tbody tr:last-child");
        await page.WaitForAsync($"document.getElementById('detail-id').textContent === '{last}'", $"the detail of {last}");
        Assert.Equal($"#/jobs/{last}", (await page.EvaluateAsync("location.hash")).GetString());
        var inView = await page.EvaluateAsync(
            "(() => { const r = document.getElementById('detail').getBoundingClientRect(); const bar = document.querySelector('.bar').getBoundingClientRect().bottom;" +
            " return r.top >= bar - 1 && r.top < innerHeight - 80 && r.height > 0; })()");
        Assert.True(inView.GetBoolean(), "the detail is within the window, below the sticky bar");
        Assert.DoesNotContain(page.Console, line => line.StartsWith("exception", StringComparison.Ordinal));
    }

    [ChromiumFact]
    public async Task Short_ids_of_jobs_of_one_minute_differ_and_silos_have_one_name()
    {
        using var client = fixture.CreateClient();
        await using var browser = await Chromium.StartAsync();
        await using var page = await OpenDashboardAsync(browser, fixture.BaseAddress);
        await page.WaitForAsync("document.querySelectorAll('#silos tbody tr').length >= 2", "the silos to be listed");

        var jobs = string.Join(",", Enumerable.Repeat("""{"type":"echo","instruction":{"short":"ids"},"queue":"browser-short-ids"}""", 20));
        var answer = await (await client.PostJsonAsync("api/jobs/batch", $$"""{"jobs":[{{jobs}}]}""")).AssertStatusAsync(HttpStatusCode.Accepted);
        var ids = answer.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetString()!).ToList();
        // Within about a minute, the UUIDs' leading digits (their time) are the same or nearly so.
        output.WriteLine($"distinct first 8 hex digits: {ids.Select(id => id[..8]).Distinct().Count()} of {ids.Count}");

        var rows = string.Join(" && ", ids.Select(id => $"{Row(id)}?.dataset.state === 'succeeded'"));
        await page.WaitForAsync(rows, "the 20 jobs to show succeeded");
        var shown = await page.EvaluateAsync($$"""
            {{JsonSerializer.Serialize(ids)}}.map(id => {
              const code = document.querySelector(`#jobs tr[data-job-id="${id}"] code.job-id`);
              const silo = document.querySelector(`#jobs tr[data-job-id="${id}"] td.silo`);
              return [code.textContent, code.title, silo.textContent];
            })
            """);
        var texts = shown.EnumerateArray().Select(s => s[0].GetString()!).ToList();
        output.WriteLine($"short ids: {string.Join(" ", texts)}");
        Assert.Equal(ids.Count, texts.Distinct().Count());
        Assert.All(shown.EnumerateArray().Zip(ids), pair => Assert.Contains(pair.Second, pair.First[1].GetString(), StringComparison.Ordinal));

        // The jobs table names each silo as the Silos panel does.
        var siloNames = (await page.EvaluateAsync("[...document.querySelectorAll('#silos tbody tr')].map(tr => tr.dataset.silo)"))
            .EnumerateArray().Select(s => s.GetString()).ToHashSet();
        Assert.All(shown.EnumerateArray(), s => Assert.Contains(s[2].GetString(), siloNames));
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
