namespace JobGrains.Import;

/// <summary>What happened to the files so far; the summary line.</summary>
internal sealed class ImportTally
{
    private int _imported;
    private int _rejected;
    private int _left;
    private int _waiting;

    public void CountImported() => Interlocked.Increment(ref _imported);

    public void CountRejected() => Interlocked.Increment(ref _rejected);

    /// <summary>A file left in place because the gateway could not decide (it goes in a later pass or run).</summary>
    public void CountLeft() => Interlocked.Increment(ref _left);

    public void CountWaiting() => Interlocked.Increment(ref _waiting);

    public override string ToString() =>
        $"summary: {_imported} imported, {_rejected} rejected, {_left} left for a later run, {_waiting} waiting for --type";
}
