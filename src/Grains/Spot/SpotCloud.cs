namespace JobGrains.Spot;

/// <summary>Which cloud's metadata service a silo reads interruption notices from.</summary>
public enum SpotCloud
{
    /// <summary>No notices are read (the default): only SIGTERM and the drain command drain the silo.</summary>
    None,
    Aws,
    Gcp,
    Azure,
}
