namespace JobGrains.Import;

/// <summary>
/// Wakes a watching import when files appear in the folder. The folder's notifications (inotify)
/// are a shortcut only: the caller also looks on a timer, since notifications can be lost (their
/// queue overflows, a network file system sends none, the instance limit is reached).
/// </summary>
internal sealed class FolderChanges : IDisposable
{
    private readonly SemaphoreSlim _changed = new(0, 1);
    private readonly FileSystemWatcher? _watcher;

    public FolderChanges(string directory)
    {
        try
        {
            _watcher = new FileSystemWatcher(directory, "*.json") { IncludeSubdirectories = true };
            _watcher.Created += (_, _) => Signal();
            _watcher.Renamed += (_, _) => Signal();
            _watcher.Changed += (_, _) => Signal();
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception e) when (e is IOException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            // Without notifications the timer alone finds new files.
            _watcher?.Dispose();
            _watcher = null;
        }
    }

    /// <summary>Returns when something changed, or after <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        await _changed.WaitAsync(timeout, cancellationToken);

    private void Signal()
    {
        try
        {
            _changed.Release();
        }
        catch (SemaphoreFullException)
        {
            // A wake-up is already pending.
        }
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _changed.Dispose();
    }
}
