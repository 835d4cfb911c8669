namespace JobGrains.Dispatch;

/// <summary>
/// Which jobs hold each (queue, concurrency key), as far as the dispatcher knows: the jobs it handed
/// out, until their attempt ends (<see cref="Release"/>, told by the silo that stored the end), and
/// the running keyed jobs of the table (<see cref="Rebuild"/>, on activation and now and then, which
/// also forgets jobs whose end was never told). A job of a key is handed out only while fewer than
/// the queue's key concurrency hold it. The start statement's key claim in PostgreSQL is the last
/// line of defence when this is wrong (after a failover). Not thread-safe: the dispatcher grain owns it.
/// </summary>
internal sealed class KeyHolders
{
    /// <summary>How long a job handed out counts as a holder without the table saying it runs: its start is on its way.</summary>
    public static readonly TimeSpan StartAllowance = TimeSpan.FromSeconds(15);

    private readonly Dictionary<(string Queue, string Key), Dictionary<Guid, DateTimeOffset>> _holders = [];
    private readonly Dictionary<Guid, (string Queue, string Key)> _keyOf = [];

    public int Count => _keyOf.Count;

    public bool CanStart(string queue, string key, int keyConcurrency) =>
        !_holders.TryGetValue((queue, key), out var holders) || holders.Count < keyConcurrency;

    public void NoteHandedOut(Guid jobId, string queue, string key, DateTimeOffset now) => Hold(jobId, queue, key, now);

    /// <summary>The attempts of these jobs ended: their keys are free again.</summary>
    public void Release(IEnumerable<Guid> jobIds)
    {
        foreach (var id in jobIds)
        {
            if (_keyOf.Remove(id, out var key) && _holders.TryGetValue(key, out var holders))
            {
                holders.Remove(id);
                if (holders.Count == 0)
                {
                    _holders.Remove(key);
                }
            }
        }
    }

    /// <summary>
    /// The holders become the table's running keyed jobs (read before <paramref name="now"/>) plus
    /// the jobs handed out within <see cref="StartAllowance"/>, whose start may not show there yet.
    /// </summary>
    public void Rebuild(IEnumerable<(Guid Id, string Queue, string Key)> running, DateTimeOffset now)
    {
        var recent = _holders.SelectMany(h => h.Value.Where(j => now - j.Value < StartAllowance).Select(j => (j.Key, h.Key, j.Value))).ToList();
        _holders.Clear();
        _keyOf.Clear();
        foreach (var (id, queue, key) in running)
        {
            Hold(id, queue, key, DateTimeOffset.MinValue);
        }

        foreach (var (id, key, at) in recent)
        {
            if (!_keyOf.ContainsKey(id))
            {
                Hold(id, key.Queue, key.Key, at);
            }
        }
    }

    private void Hold(Guid jobId, string queue, string key, DateTimeOffset at)
    {
        if (!_holders.TryGetValue((queue, key), out var holders))
        {
            holders = [];
            _holders.Add((queue, key), holders);
        }

        holders[jobId] = at;
        _keyOf[jobId] = (queue, key);
    }
}
