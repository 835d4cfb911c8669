using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using JobGrains.Tests.Gateway;

namespace JobGrains.Tests.Hosts;

/// <summary>
/// A steady stream of single submissions through the gateway's REST API, by a few clients at
/// once, that records every answer: the ids it acknowledged (202), the statuses it refused with,
/// and what never got an answer. Each submission carries an Idempotency-Key of its own.
/// </summary>
internal sealed class SubmissionLoad : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly string _body;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<Answer> _answers = new();
    private readonly Task[] _clients;

    private SubmissionLoad(HttpClient http, int clients, string body, TimeSpan pause)
    {
        _http = http;
        _body = body;
        _clients = [.. Enumerable.Range(0, clients).Select(_ => Task.Run(() => SubmitUntilStoppedAsync(pause)))];
    }

    /// <summary>One answer: when it came (since the load began), its status (0: none, the request failed), the job's id when acknowledged.</summary>
    public sealed record Answer(TimeSpan At, int Status, Guid? Id, string? Problem);

    public static SubmissionLoad Start(HttpClient http, int clients, string type, string instruction, TimeSpan pause) =>
        new(http, clients, $$"""{"type":"{{type}}","instruction":{{instruction}}}""", pause);

    /// <summary>Time since the load began, on the clock of <see cref="Answer.At"/>.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    public IReadOnlyList<Answer> Answers => [.. _answers.OrderBy(a => a.At)];

    public Guid[] Acknowledged => [.. _answers.Where(a => a.Id is not null).Select(a => a.Id!.Value)];

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_clients);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task SubmitUntilStoppedAsync(TimeSpan pause)
    {
        while (!_stop.IsCancellationRequested)
        {
            _answers.Enqueue(await SubmitAsync());
            try
            {
                await Task.Delay(pause, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    // Not cancelled by the stop: an answer under way is awaited, so that no acknowledged id goes unrecorded.
    private async Task<Answer> SubmitAsync()
    {
        try
        {
            using var response = await _http.PostJsonAsync("/api/jobs", _body, Guid.NewGuid().ToString());
            var text = await response.Content.ReadAsStringAsync();
            var at = _clock.Elapsed;
            return response.StatusCode == HttpStatusCode.Accepted
                ? new Answer(at, 202, JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid(), null)
                : new Answer(at, (int)response.StatusCode, null, text);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return new Answer(_clock.Elapsed, 0, null, e.Message);
        }
    }
}
