using System.Collections.Concurrent;
using JobGrains.Client;
using JobGrains.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace JobGrains.Tests.Gateway;

/// <summary>
/// The gateway's request pipeline and services exactly as <c>Program</c> composes them, on
/// Kestrel at a loopback port (so that a browser can reach it too), using the test cluster's
/// Orleans client: the shared test cluster runs Orleans' in-memory transport, which a client of
/// the gateway's own could not join.
/// </summary>
public sealed class GatewayServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GatewayServer(WebApplication app, Uri baseAddress, LogCollector logs)
    {
        _app = app;
        BaseAddress = baseAddress;
        Logs = logs;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Warnings and errors the gateway logged.</summary>
    public LogCollector Logs { get; }

    /// <param name="mapMore">Maps endpoints of a test's own after the gateway's, as a later feature would.</param>
    public static async Task<GatewayServer> StartAsync(
        IClusterClient client, JobsClient jobs, IReadOnlyDictionary<string, string?> settings, Action<WebApplication>? mapMore = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Production",
            ContentRootPath = RepositoryPaths.GatewayProject,
            ApplicationName = typeof(JobGrains.Gateway.Program).Assembly.GetName().Name,
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var logs = new LogCollector();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddJobGrainsGatewayServices();
        builder.Services.AddSingleton(client);
        builder.Services.AddSingleton(jobs);
        builder.Services.AddSingleton<IJobsClient>(jobs);

        var app = builder.Build();
        app.UseJobGrainsGateway();
        mapMore?.Invoke(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new GatewayServer(app, new Uri(address.TrimEnd('/') + "/"), logs);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Keeps what was logged at Warning or above, to assert that bad input logs no error.</summary>
public sealed class LogCollector : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyCollection<string> Entries => _entries;

    public IEnumerable<string> Errors => _entries.Where(e => e.StartsWith("Error", StringComparison.Ordinal) || e.StartsWith("Critical", StringComparison.Ordinal));

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                entries.Enqueue($"{logLevel} {category}[{eventId.Id}]: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
            }
        }
    }
}
