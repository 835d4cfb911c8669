using Orleans.Serialization;

namespace JobGrains.Serialization;

/// <summary>
/// Lets PostgreSQL driver exceptions (Npgsql's) cross between silos and clients. The Orleans
/// runtime reads PostgreSQL itself (membership, for instance while the grain directory changes),
/// and a call it fails that way answers with the driver's exception. Outside Orleans' default
/// namespaces (Microsoft, System, Azure) that answer cannot be serialized: the caller then got a
/// codec error instead of a store that is unavailable, and the gateway a 500 instead of a 503.
/// </summary>
public static class DriverExceptions
{
    public static void Allow(ExceptionSerializationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.SupportedNamespacePrefixes.Add("Npgsql");
    }
}
