using System.Collections.Concurrent;

namespace JobGrains.Import;

/// <summary>How a pass over the folder ended.</summary>
internal enum PassEnd
{
    /// <summary>Every file found was imported, rejected, or waits for <c>--type</c>.</summary>
    Complete,

    /// <summary>The gateway could not decide on a file; the rest of the pass was left for later.</summary>
    GatewayUnavailable,

    /// <summary>The API key was refused; nothing more can be imported.</summary>
    Unauthorized,
}

/// <summary>
/// Imports the instruction files of a folder: each <c>*.json</c> under it (names starting with '.',
/// such as <c>.done/</c> and <c>.rejected/</c>, are skipped) becomes one job, keyed by its path. A
/// file moves to <c>.done/</c> only once its job is acknowledged, so a crash at any point leaves it
/// to be submitted again under the same key, which finds the same job: never two jobs for a file.
/// </summary>
internal sealed class Importer(ImportArguments arguments, GatewayJobs gateway, ImportTally tally, TextWriter output, TimeProvider time)
{
    public const string DoneFolder = ".done";
    public const string RejectedFolder = ".rejected";

    /// <summary>Submissions in flight at once.</summary>
    private const int Parallelism = 8;

    /// <summary>Files larger than this are refused without being read (the gateway's body limit is far lower).</summary>
    private const long MaxFileBytes = 64L * 1024 * 1024;

    /// <summary>
    /// While watching, a file that is not (yet) valid JSON and changed this recently may still be
    /// being written by its producer: it is looked at again instead of being rejected.
    /// </summary>
    private static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Files found waiting for <c>--type</c>, with how they looked then: a watch says so once per
    /// file, and reads such a file again only once it has changed, not on every pass.
    /// </summary>
    private readonly ConcurrentDictionary<string, FileStamp> _waiting = new(StringComparer.Ordinal);

    public async Task<PassEnd> RunPassAsync(CancellationToken cancellationToken)
    {
        var files = Directory.EnumerateFiles(arguments.Directory, "*.json", new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.Hidden, // on Unix: names starting with '.'
            MatchCasing = MatchCasing.CaseSensitive,
        }).Order(StringComparer.Ordinal).ToList();

        var end = PassEnd.Complete;
        var endGate = new Lock();
        using var stopPass = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = stopPass.Token },
                async (path, token) =>
                {
                    var fileEnd = await ImportAsync(path, token);
                    if (fileEnd != PassEnd.Complete)
                    {
                        // The first gateway failure ends the pass: the other files would fare no better.
                        lock (endGate)
                        {
                            end = fileEnd > end ? fileEnd : end;
                        }

                        await stopPass.CancelAsync();
                    }
                });
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }

        return end;
    }

    private async Task<PassEnd> ImportAsync(string path, CancellationToken cancellationToken)
    {
        var relative = Path.GetRelativePath(arguments.Directory, path).Replace(Path.DirectorySeparatorChar, '/');
        byte[] content;
        FileStamp stamp;
        try
        {
            var info = new FileInfo(path);
            stamp = new FileStamp(info.LastWriteTimeUtc, info.Length); // taken before reading: a write during the read shows next pass
            if (_waiting.TryGetValue(relative, out var waitingAs) && waitingAs == stamp)
            {
                return PassEnd.Complete; // unchanged since found waiting for --type: it would wait again
            }

            if (stamp.Length > MaxFileBytes)
            {
                Reject(path, relative, $"the file is larger than {MaxFileBytes / (1024 * 1024)} MiB");
                return PassEnd.Complete;
            }

            content = await File.ReadAllBytesAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return PassEnd.Complete; // moved or removed since the folder was listed
        }

        var file = InstructionFile.Read(relative, content, arguments.Type, arguments.Queue);
        if (file.IsMalformed && arguments.Watch && time.GetUtcNow() - File.GetLastWriteTimeUtc(path) < SettleTime)
        {
            return PassEnd.Complete; // perhaps still being written; the next pass looks again
        }

        if (file.Body is null)
        {
            if (file.IsMalformed)
            {
                Reject(path, relative, file.Problem!);
            }
            else if (_waiting.TryAdd(relative, stamp))
            {
                tally.CountWaiting();
                Line("waiting", relative, file.Problem!);
            }
            else
            {
                _waiting[relative] = stamp; // changed, and still waiting: said already
            }

            return PassEnd.Complete;
        }

        switch (await gateway.SubmitAsync(file.Body, file.IdempotencyKey, cancellationToken))
        {
            case SubmitOutcome.Accepted accepted:
                Move(path, Path.Combine(arguments.Directory, DoneFolder, relative));
                tally.CountImported();
                Line("imported", relative, $"job {accepted.JobId}");
                return PassEnd.Complete;
            case SubmitOutcome.Refused refused:
                Reject(path, relative, refused.Reason);
                return PassEnd.Complete;
            case SubmitOutcome.Unauthorized unauthorized:
                tally.CountLeft();
                Line("left", relative, unauthorized.Reason);
                return PassEnd.Unauthorized;
            case SubmitOutcome.Unavailable unavailable:
                tally.CountLeft();
                Line("left", relative, unavailable.Reason);
                return PassEnd.GatewayUnavailable;
            default:
                throw new InvalidOperationException("Unknown outcome.");
        }
    }

    /// <summary>Writes the reason first and then moves the file, so that a crash between the two loses no reason.</summary>
    private void Reject(string path, string relative, string reason)
    {
        var target = Path.Combine(arguments.Directory, RejectedFolder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.WriteAllText(target + ".error", reason + "\n");
        Move(path, target);
        tally.CountRejected();
        Line("rejected", relative, reason);
    }

    private static void Move(string path, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        try
        {
            // A file of the same path imported before is replaced: its key named the same job.
            File.Move(path, target, overwrite: true);
        }
        catch (FileNotFoundException)
        {
            // Moved by someone else meanwhile.
        }
    }

    /// <summary>How a file looked on disk: a rewrite changes its write time or (where times are coarse) its length.</summary>
    private readonly record struct FileStamp(DateTime WrittenAt, long Length);

    private void Line(string what, string relative, string detail) =>
        output.WriteLine($"{what,-9}{relative}  {detail.ReplaceLineEndings(" ")}");
}
