using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using JobGrains.Client;
using JobGrains.Jobs;

namespace JobGrains.Bench;

/// <summary>Submits a number of <c>echo</c> jobs and returns their ids once they are stored.</summary>
internal interface ISubmitter
{
    string Name { get; }

    Task<IReadOnlyList<Guid>> SubmitAsync(int count);
}

/// <summary>Through the .NET client: <see cref="JobsClient.SubmitManyAsync"/>.</summary>
internal sealed class ClientSubmitter(JobsClient jobs) : ISubmitter
{
    private long _sequence;

    public string Name => "client";

    public async Task<IReadOnlyList<Guid>> SubmitAsync(int count)
    {
        var submissions = new JobSubmission[count];
        for (var i = 0; i < count; i++)
        {
            var n = Interlocked.Increment(ref _sequence);
            submissions[i] = new JobSubmission { Type = "echo", Instruction = "{\"n\":" + n.ToString(CultureInfo.InvariantCulture) + "}" };
        }

        var results = await jobs.SubmitManyAsync(submissions);
        var ids = new Guid[results.Count];
        for (var i = 0; i < results.Count; i++)
        {
            ids[i] = results[i] is { Status: SubmitStatus.Created, Job: { } job }
                ? job.Id
                : throw new InvalidOperationException($"A submission was answered {results[i].Status}: {results[i].Problem}");
        }

        return ids;
    }
}

/// <summary>Through the gateway: <c>POST /api/jobs/batch</c> with the API key.</summary>
internal sealed class RestSubmitter(HttpClient http) : ISubmitter
{
    private long _sequence;

    public string Name => "rest";

    public async Task<IReadOnlyList<Guid>> SubmitAsync(int count)
    {
        var body = new StringBuilder(32 + (count * 48));
        body.Append("{\"jobs\":[");
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                body.Append(',');
            }

            body.Append("{\"type\":\"echo\",\"instruction\":{\"n\":")
                .Append(Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture))
                .Append("}}");
        }

        body.Append("]}");
        using var content = new StringContent(body.ToString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri("api/jobs/batch", UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"POST /api/jobs/batch answered {(int)response.StatusCode}: {text[..Math.Min(text.Length, 300)]}");
        }

        using var doc = JsonDocument.Parse(text);
        return JobIds(doc.RootElement);
    }

    /// <summary>The ids of an answer's <c>jobs</c>, in order: a job batch's or a batch's.</summary>
    public static Guid[] JobIds(JsonElement answer) => [.. answer.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetGuid())];
}
