using System.Text;

namespace JobGrains.Execution.Commands;

/// <summary>A line a program wrote, without its line break; <see cref="CutBytes"/> more bytes of it were dropped.</summary>
internal readonly record struct OutputLine(string Text, long CutBytes)
{
    public bool IsCut => CutBytes > 0;
}

/// <summary>
/// Splits a program's output stream into lines, holding at most <c>maxLineBytes</c> of any line:
/// a program that writes megabytes without a line break costs no more memory than that.
/// </summary>
internal sealed class OutputLineReader(Stream stream, int maxLineBytes)
{
    private const int ReadSize = 64 * 1024;

    private byte[] _line = new byte[256];
    private int _lineLength;
    private long _cut;

    /// <summary>Reads to the end of the stream, handing each line to <paramref name="onLine"/> in order.</summary>
    public async Task ReadToEndAsync(Func<OutputLine, ValueTask> onLine, CancellationToken cancellationToken)
    {
        var buffer = new byte[ReadSize];
        while (true)
        {
            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                if (_lineLength > 0 || _cut > 0)
                {
                    await onLine(TakeLine());
                }

                return;
            }

            var start = 0;
            while (start < read)
            {
                var newline = Array.IndexOf(buffer, (byte)'\n', start, read - start);
                var end = newline < 0 ? read : newline;
                Append(buffer.AsSpan(start, end - start));
                if (newline < 0)
                {
                    break;
                }

                await onLine(TakeLine());
                start = newline + 1;
            }
        }
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        var kept = Math.Min(bytes.Length, maxLineBytes - _lineLength);
        if (_lineLength + kept > _line.Length)
        {
            Array.Resize(ref _line, Math.Min(maxLineBytes, Math.Max(_line.Length * 2, _lineLength + kept)));
        }

        bytes[..kept].CopyTo(_line.AsSpan(_lineLength));
        _lineLength += kept;
        _cut += bytes.Length - kept;
    }

    private OutputLine TakeLine()
    {
        var length = _lineLength > 0 && _line[_lineLength - 1] == '\r' && _cut == 0 ? _lineLength - 1 : _lineLength;
        var line = new OutputLine(Encoding.UTF8.GetString(_line, 0, length), _cut);
        _lineLength = 0;
        _cut = 0;
        if (_line.Length > ReadSize)
        {
            // One long line should not pin its buffer for the rest of the attempt.
            _line = new byte[256];
        }

        return line;
    }
}
