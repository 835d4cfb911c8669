using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace JobGrains.Bench;

/// <summary>
/// Through the gateway: one <c>POST /api/batches</c> of <c>echo</c> jobs shaped as a fan-out/fan-in
/// (<see cref="FanOutShape"/>) per call, however many jobs it asks for. The batch's last job to run
/// is its merge job, whose end settles the batch in the same commit; <see cref="CheckEndedAsync"/>
/// then confirms that every batch submitted so far ended <c>succeeded</c>.
/// </summary>
internal sealed class FanOutBatchSubmitter(HttpClient http) : ISubmitter
{
    private readonly List<Guid> _unchecked = [];
    private long _sequence;

    public string Name => "batch";

    public async Task<IReadOnlyList<Guid>> SubmitAsync(int count)
    {
        using var content = new StringContent(Body(FanOutShape.Of(count)), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri("api/batches", UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"POST /api/batches answered {(int)response.StatusCode}: {text[..Math.Min(text.Length, 300)]}");
        }

        using var doc = JsonDocument.Parse(text);
        lock (_unchecked)
        {
            _unchecked.Add(doc.RootElement.GetProperty("id").GetGuid());
        }

        return RestSubmitter.JobIds(doc.RootElement);
    }

    /// <summary>
    /// The views of the batches submitted since the last call (<c>GET /api/batches/{id}</c>); throws
    /// unless each one has ended succeeded with all its jobs. Their server-side seconds from creation
    /// to the end go into the answer.
    /// </summary>
    public async Task<JsonArray> CheckEndedAsync()
    {
        List<Guid> batches;
        lock (_unchecked)
        {
            batches = [.. _unchecked];
            _unchecked.Clear();
        }

        var checkedBatches = new JsonArray();
        foreach (var id in batches)
        {
            var text = await http.GetStringAsync(new Uri($"api/batches/{id}", UriKind.Relative));
            var view = JsonNode.Parse(text)!;
            var state = (string?)view["state"];
            var total = (int)view["total"]!;
            var succeeded = (int)view["counts"]!["succeeded"]!;
            if (state != "succeeded" || succeeded != total)
            {
                throw new InvalidOperationException($"Batch {id} is {state} with {succeeded} of {total} jobs succeeded: {text[..Math.Min(text.Length, 300)]}");
            }

            var seconds = (DateTimeOffset.Parse((string)view["finishedAt"]!, CultureInfo.InvariantCulture)
                - DateTimeOffset.Parse((string)view["createdAt"]!, CultureInfo.InvariantCulture)).TotalSeconds;
            checkedBatches.Add(new JsonObject { ["id"] = id.ToString(), ["total"] = total, ["createdToFinishedSeconds"] = Math.Round(seconds, 3) });
        }

        return checkedBatches;
    }

    // Short refs keep the body of 10,000 jobs (about 830 KB) under the gateway's default limit of 1 MiB.
    private string Body(FanOutShape shape)
    {
        var body = new StringBuilder(64 + (shape.Total * 80));
        body.Append("{\"name\":\"bench fan-out/fan-in\",\"jobs\":[");
        Job(body, "s", null);
        for (var p = 0; p < shape.Processes; p++)
        {
            Job(body.Append(','), "p" + p.ToString(CultureInfo.InvariantCulture), ["s"]);
        }

        for (var g = 0; g < shape.Gathers; g++)
        {
            var feeding = Enumerable.Range(0, shape.Processes).Where(p => shape.GatherOf(p) == g).Select(p => "p" + p.ToString(CultureInfo.InvariantCulture));
            Job(body.Append(','), "g" + g.ToString(CultureInfo.InvariantCulture), [.. feeding]);
        }

        Job(body.Append(','), "m", [.. Enumerable.Range(0, shape.Gathers).Select(g => "g" + g.ToString(CultureInfo.InvariantCulture))]);
        return body.Append("]}").ToString();
    }

    private void Job(StringBuilder body, string reference, IReadOnlyList<string>? dependsOn)
    {
        body.Append("{\"ref\":\"").Append(reference).Append("\",\"type\":\"echo\",\"instruction\":{\"n\":")
            .Append(Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture)).Append('}');
        if (dependsOn is not null)
        {
            body.Append(",\"dependsOn\":[").AppendJoin(',', dependsOn.Select(d => "\"" + d + "\"")).Append(']');
        }

        body.Append('}');
    }
}
