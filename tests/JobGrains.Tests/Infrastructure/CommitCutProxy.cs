using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace JobGrains.Tests.Infrastructure;

/// <summary>
/// A TCP proxy in front of PostgreSQL that loses the answer to a commit. Once a client sends a
/// message holding the armed marker (a job's instruction travels in the batch's Bind message), the
/// server's answers on that connection are held back and read message by message up to its
/// ReadyForQuery, which PostgreSQL sends only after the implicit transaction has ended; then both
/// sides are closed and nothing of it reaches the client. The client sees a connection that broke
/// after its commit was sent, which is exactly the unknown outcome. With an outage, every other
/// connection is cut at the same moment and new ones are refused for a while, as if the server
/// went away right after the commit. The connection string must not ask for TLS or GSS encryption.
/// </summary>
public sealed class CommitCutProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _serverPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Link, byte> _links = new();
    private readonly Task _accepting;
    private string? _marker;
    private TimeSpan _outage;
    private long _refuseUntil;
    private TaskCompletionSource _cut = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CommitCutProxy(int serverPort)
    {
        _serverPort = serverPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Completes when the armed commit's answer has been cut off.</summary>
    public Task Cut => _cut.Task;

    /// <summary>Cuts the answer of the next batch that holds <paramref name="marker"/>, then refuses connections for <paramref name="outage"/>.</summary>
    public void Arm(string marker, TimeSpan outage = default)
    {
        _cut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _outage = outage;
        Volatile.Write(ref _marker, marker);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            if (TimeProvider.System.GetTimestamp() < Volatile.Read(ref _refuseUntil))
            {
                client.Dispose();
                continue;
            }

            var server = new TcpClient();
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _serverPort, _stop.Token);
            }
            catch (Exception)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }

            var link = new Link(client, server);
            _links[link] = 0;
            _ = Task.Run(() => ClientToServerAsync(link));
            _ = Task.Run(() => ServerToClientAsync(link));
        }
    }

    private async Task ClientToServerAsync(Link link)
    {
        var buffer = new byte[64 * 1024];
        var tail = Array.Empty<byte>();
        try
        {
            var from = link.Client.GetStream();
            var to = link.Server.GetStream();
            while (true)
            {
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                // Armed before the bytes go on, so that every answer to them is held back.
                if (Volatile.Read(ref _marker) is { } marker && !link.Armed)
                {
                    var pattern = Encoding.UTF8.GetBytes(marker);
                    var window = tail.Concat(buffer.Take(read)).ToArray();
                    if (window.AsSpan().IndexOf(pattern) >= 0 && Interlocked.CompareExchange(ref _marker, null, marker) == marker)
                    {
                        link.Armed = true;
                    }

                    tail = window[Math.Max(0, window.Length - pattern.Length)..];
                }

                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception)
        {
            // The link is closing.
        }

        Close(link);
    }

    private async Task ServerToClientAsync(Link link)
    {
        var buffer = new byte[64 * 1024];
        var header = new List<byte>(5);
        long skip = 0;
        try
        {
            var from = link.Server.GetStream();
            var to = link.Client.GetStream();
            while (true)
            {
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                if (!link.Armed)
                {
                    await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
                    continue;
                }

                // Held back: walk the messages (a type byte and a length that counts itself) up to ReadyForQuery.
                for (var i = 0; i < read;)
                {
                    if (skip > 0)
                    {
                        var step = (int)Math.Min(skip, read - i);
                        skip -= step;
                        i += step;
                        continue;
                    }

                    header.Add(buffer[i++]);
                    if (header.Count < 5)
                    {
                        continue;
                    }

                    if (header[0] == (byte)'Z')
                    {
                        CutOff(link);
                        return;
                    }

                    skip = BinaryPrimitives.ReadInt32BigEndian(header.Skip(1).ToArray()) - 4;
                    header.Clear();
                }
            }
        }
        catch (Exception)
        {
            // The link is closing.
        }

        Close(link);
    }

    private void CutOff(Link link)
    {
        if (_outage > TimeSpan.Zero)
        {
            Volatile.Write(ref _refuseUntil, TimeProvider.System.GetTimestamp() + (long)(_outage.TotalSeconds * TimeProvider.System.TimestampFrequency));
            foreach (var other in _links.Keys)
            {
                Close(other);
            }
        }

        Close(link);
        _cut.TrySetResult();
    }

    private void Close(Link link)
    {
        _links.TryRemove(link, out _);
        link.Client.Dispose();
        link.Server.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        foreach (var link in _links.Keys)
        {
            Close(link);
        }

        _stop.Dispose();
    }

    private sealed class Link(TcpClient client, TcpClient server)
    {
        public TcpClient Client { get; } = client;
        public TcpClient Server { get; } = server;
        public volatile bool Armed;
    }
}
