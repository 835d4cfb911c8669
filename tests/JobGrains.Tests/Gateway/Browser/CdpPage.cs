using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;

namespace JobGrains.Tests.Gateway.Browser;

/// <summary>
/// One browser page driven through the Chrome DevTools Protocol over a WebSocket: navigate,
/// evaluate, wait for a condition (a promise resolved by a MutationObserver, not polling), click
/// like a user, take a screenshot.
/// </summary>
public sealed class CdpPage : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _calls = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiving;
    private int _nextId;
    private TaskCompletionSource? _loaded;

    private CdpPage(ClientWebSocket socket)
    {
        _socket = socket;
        _receiving = Task.Run(ReceiveAsync);
    }

    /// <summary>Messages the page logged to its console, and uncaught exceptions.</summary>
    public ConcurrentQueue<string> Console { get; } = new();

    public static async Task<CdpPage> OpenAsync(Uri devTools)
    {
        using var http = new HttpClient { BaseAddress = devTools };
        var targets = await http.GetFromJsonAsync<JsonElement>("json/list");
        var page = targets.EnumerateArray().First(t => t.GetProperty("type").GetString() == "page");
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await socket.ConnectAsync(new Uri(page.GetProperty("webSocketDebuggerUrl").GetString()!), CancellationToken.None);
        var cdp = new CdpPage(socket);
        await cdp.SendAsync("Runtime.enable");
        await cdp.SendAsync("Page.enable");
        return cdp;
    }

    public async Task<JsonElement> SendAsync(string method, object? parameters = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var call = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _calls[id] = call;
        var message = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters ?? new { } });
        await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        return await call.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async Task NavigateAsync(Uri url)
    {
        var loaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _loaded = loaded;
        await SendAsync("Page.navigate", new { url = url.ToString() });
        try
        {
            await loaded.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"Timed out waiting for {url} to load (Page.loadEventFired).", e);
        }
    }

    /// <summary>Evaluates <paramref name="expression"/> (awaiting a promise) and returns its value as JSON.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new { expression, awaitPromise = true, returnByValue = true });
        if (result.TryGetProperty("exceptionDetails", out var exception))
        {
            throw new InvalidOperationException($"{exception.GetProperty("text").GetString()}: {exception}");
        }

        return result.GetProperty("result").TryGetProperty("value", out var value) ? value.Clone() : default;
    }

    /// <summary>Resolves once <paramref name="condition"/> (a JS expression) is true, re-checked on every DOM change.</summary>
    public async Task WaitForAsync(string condition, string awaited, int timeoutMs = 30000)
    {
        var script = $$"""
            new Promise((resolve, reject) => {
              const test = () => { try { return !!({{condition}}); } catch { return false; } };
              if (test()) { resolve(true); return; }
              const observer = new MutationObserver(() => { if (test()) { observer.disconnect(); clearTimeout(timer); resolve(true); } });
              observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
              const timer = setTimeout(() => { observer.disconnect(); reject(new Error("timed out")); }, {{timeoutMs}});
            })
            """;
        try
        {
            await EvaluateAsync(script);
        }
        catch (InvalidOperationException e)
        {
            var body = await EvaluateAsync("document.body ? document.body.innerText.slice(0, 2000) : ''");
            throw new TimeoutException($"Timed out waiting for {awaited} ({condition}). Console: [{string.Join(" | ", Console)}]. Page text: {body}", e);
        }
    }

    /// <summary>Clicks the middle of the element like a user: mouse down and up at its position.</summary>
    public async Task ClickAsync(string selector)
    {
        var box = await EvaluateAsync($$"""
            (() => { const e = document.querySelector({{JsonSerializer.Serialize(selector)}}); e.scrollIntoView({ block: "center", behavior: "instant" });
              const r = e.getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + r.height / 2 }; })()
            """);
        var x = box.GetProperty("x").GetDouble();
        var y = box.GetProperty("y").GetDouble();
        await SendAsync("Input.dispatchMouseEvent", new { type = "mouseMoved", x, y });
        await SendAsync("Input.dispatchMouseEvent", new { type = "mousePressed", x, y, button = "left", clickCount = 1 });
        await SendAsync("Input.dispatchMouseEvent", new { type = "mouseReleased", x, y, button = "left", clickCount = 1 });
    }

    public async Task ScreenshotAsync(string path)
    {
        var shot = await SendAsync("Page.captureScreenshot", new { format = "png" });
        await File.WriteAllBytesAsync(path, Convert.FromBase64String(shot.GetProperty("data").GetString()!));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception e) when (e is WebSocketException or TimeoutException or OperationCanceledException)
        {
            // The browser may already be gone.
        }

        await _receiving.ContinueWith(_ => { }, TaskScheduler.Default);
        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var read = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (read.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.Write(buffer, 0, read.Count);
                if (!read.EndOfMessage)
                {
                    continue;
                }

                Dispatch(JsonDocument.Parse(message.ToArray()).RootElement);
                message.SetLength(0);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // Closed.
        }

        foreach (var call in _calls.Values)
        {
            call.TrySetException(new InvalidOperationException("The DevTools connection closed."));
        }
    }

    private void Dispatch(JsonElement message)
    {
        if (message.TryGetProperty("id", out var id) && _calls.TryRemove(id.GetInt32(), out var call))
        {
            if (message.TryGetProperty("error", out var error))
            {
                call.TrySetException(new InvalidOperationException($"CDP error: {error}"));
            }
            else
            {
                call.TrySetResult(message.GetProperty("result").Clone());
            }

            return;
        }

        var method = message.TryGetProperty("method", out var m) ? m.GetString() : null;
        if (method == "Page.loadEventFired")
        {
            _loaded?.TrySetResult();
        }
        else if (method == "Runtime.consoleAPICalled")
        {
            var args = message.GetProperty("params").GetProperty("args").EnumerateArray()
                .Select(a => a.TryGetProperty("value", out var v) ? v.ToString() : a.TryGetProperty("description", out var d) ? d.GetString() : "?");
            Console.Enqueue(string.Join(" ", args));
        }
        else if (method == "Runtime.exceptionThrown")
        {
            Console.Enqueue("exception: " + message.GetProperty("params").GetProperty("exceptionDetails"));
        }
    }
}
