using System.Text;
using System.Text.Json;

namespace JobGrains.Import;

/// <summary>
/// One instruction file and the job it becomes: a file holding <c>{type, instruction, ...}</c>
/// is a submission as it stands; any other JSON is the instruction of a job of <c>--type</c>.
/// </summary>
internal sealed class InstructionFile
{
    private static readonly byte[] Utf8Bom = [0xEF, 0xBB, 0xBF];

    private InstructionFile(string relativePath)
    {
        RelativePath = relativePath;
    }

    /// <summary>The path under the imported folder, with '/' between folders.</summary>
    public string RelativePath { get; }

    /// <summary>
    /// <c>file:</c> plus the relative path: the same file is the same job, however often it is
    /// submitted. Bytes outside printable ASCII, and '%', are percent-encoded (UTF-8), since an HTTP
    /// header carries ASCII only; a plain ASCII path stays as it is.
    /// </summary>
    public string IdempotencyKey => "file:" + EncodeForHeader(RelativePath);

    /// <summary>The request body of <c>POST /api/jobs</c>, or null when <see cref="Problem"/> says why there is none.</summary>
    public byte[]? Body { get; private init; }

    /// <summary>Why the file cannot be submitted: not JSON, or not a submission while no <c>--type</c> was given.</summary>
    public string? Problem { get; private init; }

    /// <summary>Whether the file is refused for good (not JSON), rather than waiting for a <c>--type</c>.</summary>
    public bool IsMalformed { get; private init; }

    public static InstructionFile Read(string relativePath, byte[] content, string? type, string? queue)
    {
        var json = content.AsSpan().StartsWith(Utf8Bom) ? content[Utf8Bom.Length..] : content;
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("type", out _) && root.TryGetProperty("instruction", out _))
            {
                return new InstructionFile(relativePath) { Body = json };
            }

            if (type is null)
            {
                return new InstructionFile(relativePath) { Problem = "not a submission ({type, instruction, ...}) and no --type given" };
            }

            return new InstructionFile(relativePath) { Body = Wrap(root, type, queue) };
        }
        catch (JsonException e)
        {
            return new InstructionFile(relativePath) { Problem = $"not valid JSON: {e.Message}", IsMalformed = true };
        }
    }

    private static byte[] Wrap(JsonElement instruction, string type, string? queue)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WritePropertyName("instruction");
            instruction.WriteTo(writer);
            if (queue is not null)
            {
                writer.WriteString("queue", queue);
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static string EncodeForHeader(string path)
    {
        if (path.All(c => c is > ' ' and < '\x7f' and not '%'))
        {
            return path;
        }

        var encoded = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(path))
        {
            if (b is > (byte)' ' and < 0x7f and not (byte)'%')
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return encoded.ToString();
    }
}
