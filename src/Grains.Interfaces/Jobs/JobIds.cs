using System.Security.Cryptography;
using System.Text;

namespace JobGrains.Jobs;

/// <summary>How job ids are chosen, the same way at every entry point.</summary>
public static class JobIds
{
    /// <summary>
    /// The id bound to an idempotency key: a name-based id, so every gateway and client maps
    /// one key to one job id without a lookup, and duplicates meet in the <c>jobs</c> table's
    /// unique keys, which decide between them.
    /// </summary>
    public static Guid FromIdempotencyKey(string idempotencyKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes("jobgrains/idempotency/" + idempotencyKey), hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8: application-defined
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>The id for a submission: bound to its idempotency key when it has one, new otherwise.</summary>
    public static Guid For(JobSubmission submission) =>
        string.IsNullOrEmpty(submission?.IdempotencyKey) ? Guid.CreateVersion7() : FromIdempotencyKey(submission.IdempotencyKey);
}
