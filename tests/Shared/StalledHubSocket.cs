using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace JobGrains.Testing;

/// <summary>
/// A SignalR client over a raw WebSocket (no negotiate, JSON protocol) that subscribes to all jobs
/// and then never reads: what a frozen browser tab does. It keeps sending pings, so the server
/// cannot tell it apart from a healthy client by silence; its receive buffer is tiny, so the
/// server's writes back up after a few hundred updates. Shared by the gateway tests and the
/// benchmark (<c>scripts/bench.sh --stalled-client</c>), which link this file.
/// </summary>
internal sealed class StalledHubSocket : IAsyncDisposable
{
    private const char RecordSeparator = '\u001e';

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TaskCompletionSource<DateTimeOffset> _pingFailed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeSpan _pingEvery;
    private Task _pings = Task.CompletedTask;

    private StalledHubSocket(Socket socket, TimeSpan pingEvery)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _pingEvery = pingEvery;
    }

    /// <summary>
    /// When a ping could not be written: the server has closed the connection (a socket closed with
    /// data still unsent answers the next ping with a reset). Seen without reading, so at most about
    /// two ping intervals after the close.
    /// </summary>
    public Task<DateTimeOffset> PingFailed => _pingFailed.Task;

    /// <param name="baseAddress">The gateway.</param>
    /// <param name="key">An API key.</param>
    /// <param name="pingEvery">How often it pings (default 2 s); more often, <see cref="PingFailed"/> comes sooner.</param>
    public static async Task<StalledHubSocket> ConnectAndSubscribeAllAsync(Uri baseAddress, string key, TimeSpan? pingEvery = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 1024 };
        await socket.ConnectAsync(baseAddress.Host, baseAddress.Port);
        var client = new StalledHubSocket(socket, pingEvery ?? TimeSpan.FromSeconds(2));
        await client.UpgradeAsync(baseAddress, key);
        await client.SendTextAsync("""{"protocol":"json","version":1}""" + RecordSeparator);
        await client.SendTextAsync("""{"type":1,"target":"SubscribeAll","arguments":[]}""" + RecordSeparator);
        client._pings = client.PingAsync();
        return client;
    }

    /// <summary>
    /// Starts reading now: true when the server has closed the connection (end of stream or reset)
    /// within <paramref name="timeout"/>, false when it was still sending when the time ran out.
    /// </summary>
    public async Task<bool> ServerClosedAsync(TimeSpan timeout)
    {
        await _stop.CancelAsync();
        using var deadline = new CancellationTokenSource(timeout);
        var buffer = new byte[64 * 1024];
        try
        {
            while (await _stream.ReadAsync(buffer, deadline.Token) > 0)
            {
            }

            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _pings;
        await _stream.DisposeAsync();
        _socket.Dispose();
        _stop.Dispose();
        _writeLock.Dispose();
    }

    private async Task UpgradeAsync(Uri baseAddress, string key)
    {
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var request =
            $"GET /hubs/jobs?access_token={Uri.EscapeDataString(key)} HTTP/1.1\r\n" +
            $"Host: {baseAddress.Authority}\r\n" +
            "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {nonce}\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(request));

        // The response head only, byte by byte: nothing after it may be consumed.
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await _stream.ReadAsync(one) == 0)
            {
                throw new IOException($"The server closed during the WebSocket upgrade: {head}");
            }

            head.Append((char)one[0]);
        }

        if (!head.ToString().StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
        {
            throw new IOException($"The WebSocket upgrade was refused: {head}");
        }
    }

    private async Task PingAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await SendTextAsync("""{"type":6}""" + RecordSeparator);
                await Task.Delay(_pingEvery, _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // The server has cut the connection off.
            _pingFailed.TrySetResult(DateTimeOffset.UtcNow);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    /// <summary>One masked text frame (clients must mask).</summary>
    private async Task SendTextAsync(string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        var frame = new List<byte> { 0x81 };
        if (payload.Length < 126)
        {
            frame.Add((byte)(0x80 | payload.Length));
        }
        else
        {
            frame.Add(0x80 | 126);
            frame.Add((byte)(payload.Length >> 8));
            frame.Add((byte)payload.Length);
        }

        var mask = RandomNumberGenerator.GetBytes(4);
        frame.AddRange(mask);
        frame.AddRange(payload.Select((b, i) => (byte)(b ^ mask[i % 4])));
        await _writeLock.WaitAsync(_stop.Token);
        try
        {
            await _stream.WriteAsync(frame.ToArray(), _stop.Token);
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
