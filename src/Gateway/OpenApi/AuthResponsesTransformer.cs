using JobGrains.Gateway.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace JobGrains.Gateway.OpenApi;

/// <summary>
/// Documents the answers of the API-key check on every operation that requires a key: 401 without
/// a valid key, and 403 for a read-only key on an operation that needs an admin key. Derived from
/// each endpoint's authorization metadata, so the document cannot drift from what is enforced.
/// </summary>
internal sealed class AuthResponsesTransformer : IOpenApiOperationTransformer
{
    private const string ProblemSchemaId = "ProblemDetails";

    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(context);
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<IAllowAnonymous>().Any())
        {
            return;
        }

        var policies = metadata.OfType<IAuthorizeData>().Select(a => a.Policy).ToList();
        if (policies.Count == 0)
        {
            return;
        }

        operation.Responses ??= [];
        var problem = await ProblemSchemaAsync(context, cancellationToken);
        Add(operation.Responses, StatusCodes.Status401Unauthorized, "No API key, or not a valid one.", problem);
        if (policies.Contains(GatewayPolicies.Admin, StringComparer.Ordinal))
        {
            Add(operation.Responses, StatusCodes.Status403Forbidden, "The API key is read-only; this operation needs an admin key.", problem);
        }
    }

    private static void Add(OpenApiResponses responses, int status, string description, IOpenApiSchema schema)
    {
        responses.TryAdd(status.ToString(System.Globalization.CultureInfo.InvariantCulture), new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
            {
                ["application/problem+json"] = new OpenApiMediaType { Schema = schema },
            },
        });
    }

    /// <summary>A reference to the shared ProblemDetails schema, which this adds to the document if no operation did.</summary>
    private static async Task<IOpenApiSchema> ProblemSchemaAsync(OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var document = context.Document!;
        if (document.Components?.Schemas?.ContainsKey(ProblemSchemaId) != true)
        {
            document.AddComponent(ProblemSchemaId, await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), null, cancellationToken));
        }

        return new OpenApiSchemaReference(ProblemSchemaId, document);
    }
}
