using System.Text;

namespace JobGrains.Execution.Commands;

/// <summary>The last <see cref="Capacity"/> bytes of a program's output, for the error of a failed attempt.</summary>
internal sealed class OutputTail
{
    public const int Capacity = 4 * 1024;

    private readonly Lock _gate = new();
    private readonly byte[] _ring = new byte[Capacity];
    private long _written;

    /// <summary>Adds one line (stdout and stderr share the tail, in the order their lines arrive).</summary>
    public void Add(OutputLine line)
    {
        var text = line.IsCut ? $"{line.Text}… ({line.CutBytes} more bytes)\n" : line.Text + "\n";
        var bytes = Encoding.UTF8.GetBytes(text);
        var kept = bytes.AsSpan(Math.Max(0, bytes.Length - Capacity));
        lock (_gate)
        {
            foreach (var b in kept)
            {
                _ring[_written++ % Capacity] = b;
            }
        }
    }

    /// <summary>
    /// The tail as text, at most <see cref="Capacity"/> UTF-8 bytes, starting at a whole character.
    /// Control characters other than line breaks and tabs become U+FFFD: the text is stored in
    /// PostgreSQL, which refuses U+0000.
    /// </summary>
    public override string ToString()
    {
        byte[] bytes;
        lock (_gate)
        {
            var length = (int)Math.Min(_written, Capacity);
            bytes = new byte[length];
            for (var i = 0; i < length; i++)
            {
                bytes[i] = _ring[(_written - length + i) % Capacity];
            }
        }

        // Skip the continuation bytes of a character whose start fell out of the tail.
        var start = 0;
        while (start < bytes.Length && (bytes[start] & 0xC0) == 0x80)
        {
            start++;
        }

        var text = Encoding.UTF8.GetString(bytes, start, bytes.Length - start).TrimEnd('\n');
        return LastBytes(Printable(text), Capacity);
    }

    /// <summary>
    /// The end of <paramref name="text"/> that fits in <paramref name="maxBytes"/> UTF-8 bytes
    /// (a replaced byte can take three).
    /// </summary>
    private static string LastBytes(string text, int maxBytes)
    {
        var budget = maxBytes;
        var start = text.Length;
        while (start > 0)
        {
            var width = start > 1 && char.IsLowSurrogate(text[start - 1]) && char.IsHighSurrogate(text[start - 2]) ? 2 : 1;
            var bytes = Encoding.UTF8.GetByteCount(text.AsSpan(start - width, width));
            if (bytes > budget)
            {
                break;
            }

            budget -= bytes;
            start -= width;
        }

        return text[start..];
    }

    /// <summary><paramref name="text"/> with control characters other than line breaks and tabs replaced by U+FFFD.</summary>
    public static string Printable(string text)
    {
        if (!text.Any(c => char.IsControl(c) && c is not ('\n' or '\t')))
        {
            return text;
        }

        return string.Create(text.Length, text, (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                span[i] = char.IsControl(c) && c is not ('\n' or '\t') ? '\uFFFD' : c;
            }
        });
    }
}
