using System.Net;
using System.Net.Sockets;

namespace JobGrains.Tests.Infrastructure;

/// <summary>Loopback ports that nothing listens on right now.</summary>
public static class FreePorts
{
    // A port is free again as soon as its probe closes, so two asks (a silo's port and its metrics
    // port) can get the same one, and the second bind fails. Each port is handed out once per run.
    private static readonly HashSet<int> HandedOut = [];

    public static int Next()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            lock (HandedOut)
            {
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
