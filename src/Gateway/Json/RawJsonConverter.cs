using System.Text.Json;
using System.Text.Json.Serialization;

namespace JobGrains.Gateway.Json;

/// <summary>
/// Writes a string that already holds JSON text (an instruction or a result, stored as
/// <c>jsonb</c>) as that JSON value, not as a string; reads any JSON value back as its text.
/// </summary>
internal sealed class RawJsonConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return document.RootElement.GetRawText();
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);

        // The text comes from PostgreSQL's jsonb (or was checked as JSON when submitted), so it is valid JSON.
        writer.WriteRawValue(value, skipInputValidation: true);
    }
}
