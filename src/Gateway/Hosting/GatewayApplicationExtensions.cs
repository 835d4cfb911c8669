using JobGrains.Gateway.Api;
using JobGrains.Gateway.Health;
using JobGrains.Gateway.Hubs;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace JobGrains.Gateway.Hosting;

/// <summary>The gateway's request pipeline and endpoints.</summary>
internal static class GatewayApplicationExtensions
{
    public static WebApplication UseJobGrainsGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = context =>
            {
                // The dashboard changes with the gateway; always revalidate.
                context.Context.Response.Headers.CacheControl = "no-cache";
                if (context.File.Name.EndsWith(".html", StringComparison.OrdinalIgnoreCase))
                {
                    context.Context.Response.Headers.ContentSecurityPolicy =
                        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";
                    context.Context.Response.Headers.XContentTypeOptions = "nosniff";
                }
            },
        });
        // Public like the dashboard's files: served before authorization, whose fallback policy
        // would otherwise ask for a key.
        app.UseSwaggerUI(o =>
        {
            o.RoutePrefix = "docs";
            o.DocumentTitle = "JobGrains API";
            o.SwaggerEndpoint("/openapi/v1.json", "JobGrains v1");
        });
        app.UseRouting();
        app.UseCors();
        app.UseAuthentication();
        app.UseAuthorization();

        // Every endpoint needs a key (the fallback policy) unless it says AllowAnonymous here.
        app.MapOpenApi().AllowAnonymous();

        app.MapHealthChecks("/health/live", new HealthCheckOptions
        {
            Predicate = _ => false,
            ResponseWriter = HealthResponseWriter.WriteAsync,
        }).AllowAnonymous().ExcludeFromDescription();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(GatewayBuilderExtensions.ReadyTag),
            ResponseWriter = HealthResponseWriter.WriteAsync,
        }).AllowAnonymous().ExcludeFromDescription();

        // Outside /api: a Prometheus scraper sends no key.
        app.MapPrometheusScrapingEndpoint().AllowAnonymous().ExcludeFromDescription();

        app.MapJobEndpoints();
        app.MapBulkEndpoints();
        app.MapClusterEndpoints();
        app.MapScheduleEndpoints();
        app.MapQueueEndpoints();
        app.MapBatchEndpoints();
        app.MapHub<JobsHub>(JobsHub.Path);
        return app;
    }
}
