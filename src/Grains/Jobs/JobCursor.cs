using System.Buffers.Binary;

namespace JobGrains.Jobs;

/// <summary>
/// A keyset position in the newest-first job list: the (created_at, id) of the last job of a
/// page. Opaque to callers: base64url of the microsecond timestamp and the id.
/// </summary>
internal readonly record struct JobCursor(DateTimeOffset CreatedAt, Guid Id)
{
    private const int Size = 8 + 16;

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        BinaryPrimitives.WriteInt64BigEndian(bytes, (CreatedAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10);
        Id.TryWriteBytes(bytes[8..], bigEndian: true, out _);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static JobCursor Parse(string text)
    {
        var base64 = text.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
        Span<byte> bytes = stackalloc byte[Size + 3];
        if (text.Length > 40 || !Convert.TryFromBase64String(base64, bytes, out var written) || written != Size)
        {
            throw new InvalidCursorException($"'{text}' is not a cursor of this job list.");
        }

        var micros = BinaryPrimitives.ReadInt64BigEndian(bytes);
        if (micros < 0 || micros > (DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10)
        {
            throw new InvalidCursorException($"'{text}' is not a cursor of this job list.");
        }

        return new JobCursor(DateTimeOffset.UnixEpoch.AddTicks(micros * 10), new Guid(bytes.Slice(8, 16), bigEndian: true));
    }
}
