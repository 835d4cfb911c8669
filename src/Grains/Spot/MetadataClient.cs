using System.Net;

namespace JobGrains.Spot;

/// <summary>
/// The HTTP client of the metadata service: every request has its own short timeout, so a
/// service that hangs costs one poll, never the watcher.
/// </summary>
internal sealed class MetadataClient(Uri baseAddress, TimeSpan timeout) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = timeout })
    {
        BaseAddress = baseAddress,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>
    /// Sends and reads the body and its ETag; a null body for 404 (the service's "no such notice").
    /// Other failures throw. <paramref name="longPoll"/> is added to the timeout where the service
    /// holds the request on purpose.
    /// </summary>
    public async Task<(string? Body, string? ETag)> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken, TimeSpan longPoll = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout + longPoll);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return (null, null);
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new MetadataAnswerException($"{request.Method} {request.RequestUri} answered {(int)response.StatusCode}.");
            }

            var etag = response.Headers.NonValidated.TryGetValues("ETag", out var values) ? values.FirstOrDefault() : null;
            return (await response.Content.ReadAsStringAsync(deadline.Token), etag);
        }
        catch (HttpRequestException e)
        {
            throw new MetadataAnswerException($"{request.Method} {request.RequestUri} failed: {e.Message}", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new MetadataAnswerException($"{request.Method} {request.RequestUri} did not answer within {(timeout + longPoll).TotalSeconds:0.#} s.", e);
        }
    }

    public void Dispose() => _http.Dispose();
}
