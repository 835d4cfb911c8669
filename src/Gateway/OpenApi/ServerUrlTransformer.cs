using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace JobGrains.Gateway.OpenApi;

/// <summary>
/// Writes the server URLs, taken from the request, without a trailing slash: the document's paths
/// start with one, and a client that joins the two would otherwise send <c>//api/...</c>.
/// </summary>
internal sealed class ServerUrlTransformer : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        foreach (var server in document.Servers ?? [])
        {
            if (server.Url is { Length: > 1 } url && url.EndsWith('/'))
            {
                server.Url = url.TrimEnd('/');
            }
        }

        return Task.CompletedTask;
    }
}
