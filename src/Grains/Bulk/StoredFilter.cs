using System.Globalization;
using System.Text.Json.Nodes;
using JobGrains.Jobs;

namespace JobGrains.Bulk;

/// <summary>
/// A <see cref="JobFilter"/> as the <c>bulk_operations.filter</c> column holds it: JSON with the
/// REST names, states as their wire names, times in UTC, the instruction as a JSON object, absent
/// criteria left out. jsonb compares two such documents regardless of key order and spacing, which
/// is how a repeated request is told from a different one under the same idempotency key.
/// </summary>
internal static class StoredFilter
{
    public static string Write(JobFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var json = new JsonObject();
        if (filter.State is { } state)
        {
            json["state"] = state.ToWire();
        }

        if (filter.Type is { } type)
        {
            json["type"] = type;
        }

        if (filter.Queue is { } queue)
        {
            json["queue"] = queue;
        }

        if (filter.CreatedAfter is { } after)
        {
            json["createdAfter"] = Time(after);
        }

        if (filter.CreatedBefore is { } before)
        {
            json["createdBefore"] = Time(before);
        }

        if (filter.Instruction is { } instruction)
        {
            json["instruction"] = JsonNode.Parse(instruction);
        }

        return json.ToJsonString();
    }

    public static JobFilter Read(string stored)
    {
        var json = JsonNode.Parse(stored)?.AsObject() ?? throw new InvalidDataException("A bulk operation's filter is not a JSON object.");
        return new JobFilter
        {
            State = json["state"]?.GetValue<string>() is { } state && JobStates.TryParseWire(state, out var parsed) ? parsed : null,
            Type = json["type"]?.GetValue<string>(),
            Queue = json["queue"]?.GetValue<string>(),
            CreatedAfter = json["createdAfter"]?.GetValue<string>() is { } after ? DateTimeOffset.Parse(after, CultureInfo.InvariantCulture) : null,
            CreatedBefore = json["createdBefore"]?.GetValue<string>() is { } before ? DateTimeOffset.Parse(before, CultureInfo.InvariantCulture) : null,
            Instruction = json["instruction"]?.ToJsonString(),
        };
    }

    private static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
}
