using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace JobGrains.Gateway.OpenApi;

/// <summary>
/// The document's title, description, license and tag descriptions: what a reader of the
/// interactive page sees first, and what OpenAPI linters ask every document to carry.
/// </summary>
internal sealed class DocumentInfoTransformer : IOpenApiDocumentTransformer
{
    /// <summary>The tags the endpoint groups use (<c>WithTags</c>), each with what it covers.</summary>
    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Jobs"] = "Submit jobs (one or a batch), list them with keyset pages and filters, get one with its attempts, cancel and retry.",
        ["Cluster"] = "The silos and queues of the cluster, and the drain command for a silo about to leave.",
        ["Schedules"] = "Recurring schedules: each occurrence of a cron expression creates one job.",
        ["Queues"] = "Queues as durable objects: pause and resume, concurrency and rate limits, per-key concurrency.",
        ["Batches"] = "Graphs of jobs stored at once, with dependencies by ref or id, rolled up into one view, cancelled together, with a job submitted when they end.",
    };

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        document.Info = new OpenApiInfo
        {
            Title = "JobGrains",
            Version = "v1",
            Description = "Submit, list, watch, cancel and retry jobs on a JobGrains cluster. Every /api call needs an API key. Live updates: SignalR hub at /hubs/jobs.",
            // The project is published under no open-source license (package.json: UNLICENSED);
            // "LicenseRef-" is SPDX's prefix for a license that is not on SPDX's list.
            License = new OpenApiLicense { Name = "Proprietary: all rights reserved", Identifier = "LicenseRef-Proprietary" },
        };

        document.Tags ??= new HashSet<OpenApiTag>();
        foreach (var (name, description) in TagDescriptions)
        {
            if (document.Tags.FirstOrDefault(t => t.Name == name) is { } tag)
            {
                tag.Description = description;
            }
            else
            {
                document.Tags.Add(new OpenApiTag { Name = name, Description = description });
            }
        }

        return Task.CompletedTask;
    }
}
