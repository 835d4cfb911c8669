namespace JobGrains.Bulk;

/// <summary>What a bulk operation does to the jobs its filter matches. Lower-case names on the wire.</summary>
[GenerateSerializer]
[Alias("jobgrains.BulkAction")]
public enum BulkAction
{
    /// <summary>Cancels unfinished jobs: waiting ones set-wise, running ones through their own fenced cancel.</summary>
    Cancel = 0,

    /// <summary>Retries failed and cancelled jobs: each starts a new series of attempts.</summary>
    Retry = 1,

    /// <summary>Deletes finished jobs (succeeded, failed, cancelled) with their attempts. Needs at least one criterion.</summary>
    Delete = 2,
}

/// <summary>Helpers for <see cref="BulkAction"/>.</summary>
public static class BulkActions
{
    /// <summary>The lower-case name used in JSON and in SQL.</summary>
    public static string ToWire(this BulkAction action) => action switch
    {
        BulkAction.Cancel => "cancel",
        BulkAction.Retry => "retry",
        BulkAction.Delete => "delete",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    /// <summary>Parses the lower-case wire name; false for anything else.</summary>
    public static bool TryParseWire(string? text, out BulkAction action)
    {
        switch (text)
        {
            case "cancel": action = BulkAction.Cancel; return true;
            case "retry": action = BulkAction.Retry; return true;
            case "delete": action = BulkAction.Delete; return true;
            default: action = default; return false;
        }
    }
}
