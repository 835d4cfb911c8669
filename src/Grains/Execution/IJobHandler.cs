using System.Text.Json.Nodes;

namespace JobGrains.Execution;

/// <summary>
/// The code that performs one job type. Register it with
/// <see cref="Microsoft.Extensions.DependencyInjection.JobHandlerServiceCollectionExtensions.AddJobHandler{THandler}"/>; a new instance
/// runs each attempt, resolved from a DI scope of its own.
/// </summary>
public interface IJobHandler
{
    /// <summary>
    /// Runs one attempt. Returns the job's result (any JSON, or null for JSON null). Throwing fails
    /// the attempt; the job retries while attempts remain. Honour
    /// <see cref="JobContext.CancellationToken"/>: it fires on cancel, timeout and drain.
    /// </summary>
    Task<JsonNode?> RunAsync(JobContext context);
}
