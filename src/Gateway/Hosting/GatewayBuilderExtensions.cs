using JobGrains.Client;
using JobGrains.Gateway.Api;
using JobGrains.Gateway.Auth;
using JobGrains.Gateway.Errors;
using JobGrains.Gateway.Events;
using JobGrains.Gateway.Health;
using JobGrains.Gateway.Hubs;
using JobGrains.Gateway.Json;
using JobGrains.Gateway.OpenApi;
using JobGrains.Gateway.Options;
using JobGrains.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace JobGrains.Gateway.Hosting;

/// <summary>The gateway's services: options, the Orleans client, auth, JSON, SignalR, OpenAPI, health.</summary>
internal static class GatewayBuilderExtensions
{
    public const string ReadyTag = "ready";

    /// <summary>Everything the gateway needs, including its own Orleans client to the cluster.</summary>
    public static WebApplicationBuilder AddJobGrainsGateway(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddJobGrainsGatewayServices().AddJobGrainsClusterClient();
    }

    /// <summary>
    /// The gateway's Orleans client: it finds the silos through the cluster's PostgreSQL membership
    /// table, keeps retrying while none answers, and tells the event registration when the
    /// connection comes back.
    /// </summary>
    public static WebApplicationBuilder AddJobGrainsClusterClient(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;

        // The Orleans client's providers are configured now, so the settings are read now too.
        var connectionString = configuration.GetConnectionString("JobGrains");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "ConnectionStrings:JobGrains (env ConnectionStrings__JobGrains) is not set: the gateway finds the cluster through its PostgreSQL database.");
        }

        var clusterId = configuration["JobGrains:ClusterId"] is { Length: > 0 } id ? id : ClusterConnectionOptions.DefaultClusterId;
        var tls = configuration.GetSection(ClusterTlsOptions.Section).Get<ClusterTlsOptions>();
        builder.UseOrleansClient(client => client.UseJobGrains(connectionString, o =>
        {
            o.ClusterId = clusterId;
            o.Tls = tls;
        }));
        builder.Services.AddSingleton<IClientConnectionRetryFilter, ClusterConnectionRetryFilter>();
        builder.Services.AddSingleton<IClusterConnectionStatusObserver, ClusterConnectionWatcher>();
        return builder;
    }

    /// <summary>
    /// The gateway's services without the Orleans client, which the host adds
    /// (<see cref="AddJobGrainsClusterClient"/>) or, in tests, provides: an
    /// <see cref="IClusterClient"/> and a <see cref="IJobsClient"/>.
    /// </summary>
    public static WebApplicationBuilder AddJobGrainsGatewayServices(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        var services = builder.Services;

        services.AddOptions<GatewayOptions>()
            .Bind(configuration.GetSection(GatewayOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<HubLimitsOptions>()
            .Bind(configuration.GetSection(HubLimitsOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<AuthOptions>()
            .Bind(configuration.GetSection(AuthOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddOptions<ClusterConnectionOptions>()
            .Bind(configuration.GetSection("JobGrains"))
            .Configure(o => o.ConnectionString = configuration.GetConnectionString("JobGrains"))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddSingleton<ObserverRenewalSignal>();
        services.AddSingleton<MissedUpdates>();
        services.AddSingleton(sp => NpgsqlDataSource.Create(sp.GetRequiredService<IOptions<ClusterConnectionOptions>>().Value.ConnectionString!));
        services.TryAddSingleton(TimeProvider.System);

        services.AddAuthentication(GatewayPolicies.ApiKeyScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(GatewayPolicies.ApiKeyScheme, configureOptions: null);
        services.AddSingleton<ApiKeyVerifier>();
        services.AddSingleton<FailedAuthenticationLog>();
        services.AddAuthorizationBuilder()
            // An endpoint that names no policy still needs a key: being public is a choice made
            // per endpoint (AllowAnonymous), never an omission.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(GatewayPolicies.ApiKeyScheme).RequireAuthenticatedUser().Build())
            .AddPolicy(GatewayPolicies.Read, p => p.RequireAuthenticatedUser().RequireRole(GatewayPolicies.AdminRole, GatewayPolicies.ReadOnlyRole))
            .AddPolicy(GatewayPolicies.Admin, p => p.RequireAuthenticatedUser().RequireRole(GatewayPolicies.AdminRole));

        services.AddProblemDetails();
        services.AddExceptionHandler<GatewayExceptionHandler>();
        services.ConfigureHttpJsonOptions(o => GatewayJson.Configure(o.SerializerOptions));
        services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<GatewayOptions>>((kestrel, gateway) => kestrel.Limits.MaxRequestBodySize = gateway.Value.MaxBodyBytes);

        services.AddSignalR(o =>
        {
            o.MaximumReceiveMessageSize = 32 * 1024;
            o.EnableDetailedErrors = false;
            o.AddFilter<HubErrorFilter>();
        }).AddJsonProtocol(o => GatewayJson.Configure(o.PayloadSerializerOptions));
        builder.Logging.AddFilter(HubErrorFilter.DispatcherCategory, LogLevel.None);
        var corsOrigins = configuration.GetSection($"{GatewayOptions.Section}:{nameof(GatewayOptions.CorsOrigins)}").Get<string[]>() ?? [];
        // One policy for the API and the hub: pages from the listed origins may call both (with
        // their key); any other origin gets no CORS headers, so browsers refuse it.
        services.AddCors(o => o.AddDefaultPolicy(p =>
        {
            if (corsOrigins.Length > 0)
            {
                p.WithOrigins(corsOrigins).AllowAnyHeader().AllowAnyMethod().AllowCredentials();
            }
        }));

        services.AddSingleton<JobVersions>();
        services.AddSingleton<HubConnections>();
        services.AddSingleton<JobWatchers>();
        services.AddSingleton<BatchWatchers>();
        services.AddSingleton<AllJobsFeed>();
        services.AddSingleton<JobEventsRelay>();
        services.AddHostedService(sp => sp.GetRequiredService<JobEventsRelay>());
        services.AddSingleton<JobEventsSubscription>();
        services.AddHostedService(sp => sp.GetRequiredService<JobEventsSubscription>());
        services.AddSingleton<JobTypeCheck>();

        services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer<DocumentInfoTransformer>();
            o.AddDocumentTransformer<ServerUrlTransformer>();
            o.AddDocumentTransformer<ApiKeySecurityTransformer>();
            o.AddOperationTransformer<AuthResponsesTransformer>();
            o.AddSchemaTransformer<RawJsonSchemaTransformer>();
        });

        // Prometheus at /metrics (ASP.NET Core's and the Orleans client's meters); OTLP when configured.
        builder.AddJobGrainsOpenTelemetry("jobgrains-gateway", Environment.MachineName,
            metrics => metrics.AddAspNetCoreInstrumentation(),
            tracing => tracing.AddAspNetCoreInstrumentation(o => o.Filter = context => !IsScrapeOrProbe(context.Request.Path)));

        services.AddHealthChecks()
            .AddCheck<PostgresHealthCheck>(PostgresHealthCheck.Name, tags: [ReadyTag], timeout: TimeSpan.FromSeconds(5))
            .AddCheck<ClusterHealthCheck>(ClusterHealthCheck.Name, tags: [ReadyTag], timeout: TimeSpan.FromSeconds(5));
        return builder;
    }

    private static bool IsScrapeOrProbe(PathString path) =>
        path.StartsWithSegments("/metrics", StringComparison.Ordinal) || path.StartsWithSegments("/health", StringComparison.Ordinal);
}
