using System.Text.Json;
using System.Text.Json.Serialization;

namespace JobGrains.Gateway.Json;

/// <summary>The JSON settings of the HTTP API and the hub: camelCase, enums as lower-case strings.</summary>
internal static class GatewayJson
{
    /// <summary>Applies the response settings shared by HTTP responses and SignalR payloads.</summary>
    public static void Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;

        // Every enum on the wire is one word (JobState: "queued", ...), so camelCase is lower case.
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
    }

    /// <summary>
    /// Strict settings for request bodies: numbers must be numbers, no trailing commas, no
    /// comments, no duplicate or unknown properties.
    /// </summary>
    public static JsonSerializerOptions Requests { get; } = CreateRequestOptions();

    private static JsonSerializerOptions CreateRequestOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            NumberHandling = JsonNumberHandling.Strict,
            AllowTrailingCommas = false,
            ReadCommentHandling = JsonCommentHandling.Disallow,
            AllowDuplicateProperties = false,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            MaxDepth = 64,
        };
        Configure(options);
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
