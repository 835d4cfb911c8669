using JobGrains.Gateway.Json;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace JobGrains.Gateway.OpenApi;

/// <summary>Describes members written by <see cref="RawJsonConverter"/> as any JSON value, not as strings.</summary>
internal sealed class RawJsonSchemaTransformer : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(context);
        if (context.JsonPropertyInfo?.CustomConverter is RawJsonConverter)
        {
            schema.Type = null;
            schema.Format = null;
            schema.Description ??= "Any JSON value.";
        }

        return Task.CompletedTask;
    }
}
