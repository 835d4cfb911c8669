using System.Text.Json;

namespace JobGrains.Jobs;

/// <summary>
/// What PostgreSQL's <c>jsonb</c> refuses although it is valid JSON: the character U+0000, a lone
/// UTF-16 surrogate (an escape such as <c>\ud800</c> without its pair), and numbers beyond what its
/// <c>numeric</c> type holds. Instructions are checked before they are stored, and handlers'
/// results before the attempt ends, so such JSON is a clear refusal rather than a failed commit.
/// </summary>
public static class StorableJson
{
    /// <summary>
    /// The largest power of ten a stored number may reach: <c>numeric</c> keeps at most 131,072
    /// digits before the decimal point.
    /// </summary>
    public const int MaxDecimalExponent = 131071;

    /// <summary>Most digits after the decimal point a stored number may have (<c>numeric</c>'s display scale).</summary>
    public const int MaxFractionDigits = 16383;

    /// <summary>Null when <paramref name="json"/> is JSON that jsonb stores; else why not, in words for the caller.</summary>
    public static string? FindProblem(string json, int maxDepth = SubmissionValidator.MaxInstructionDepth)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = maxDepth });
            return FindProblem(document.RootElement);
        }
        catch (JsonException e)
        {
            return $"it is not valid JSON: {e.Message}";
        }
    }

    /// <summary>Null when jsonb stores <paramref name="element"/>; else why not, in words for the caller.</summary>
    public static string? FindProblem(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return StringProblem(element);
            case JsonValueKind.Number:
                return NumberProblem(element.GetRawText());
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (TextProblem(property.Name) is { } nameProblem)
                    {
                        return nameProblem;
                    }

                    if (FindProblem(property.Value) is { } valueProblem)
                    {
                        return valueProblem;
                    }
                }

                return null;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (FindProblem(item) is { } itemProblem)
                    {
                        return itemProblem;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    /// <summary>
    /// Null when PostgreSQL stores <paramref name="text"/> as text: no U+0000 and no lone UTF-16
    /// surrogate (which UTF-8, the database's encoding, cannot hold); else why not.
    /// </summary>
    public static string? TextProblem(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            return "it contains the character U+0000, which PostgreSQL cannot store";
        }

        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return $"it contains a lone UTF-16 surrogate (U+{(int)text[i]:X4}), which is not a character";
            }
        }

        return null;
    }

    private static string? StringProblem(JsonElement element)
    {
        string text;
        try
        {
            text = element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // The reader refuses to decode an escaped lone surrogate.
            return "it contains a lone UTF-16 surrogate (such as \\ud800), which is not a character";
        }

        return TextProblem(text);
    }

    /// <summary>
    /// Reads the literal's digits and exponent (JSON has already checked its grammar) and tells
    /// whether numeric holds it: not too large, and not too many digits after the decimal point.
    /// </summary>
    private static string? NumberProblem(string literal)
    {
        // The common case: a short literal without an exponent always fits.
        if (literal.Length <= 64 && literal.AsSpan().IndexOfAny('e', 'E') < 0)
        {
            return null;
        }

        var span = literal.AsSpan().TrimStart('-');
        var exponentAt = span.IndexOfAny('e', 'E');
        var mantissa = exponentAt < 0 ? span : span[..exponentAt];
        long exponent = 0;
        if (exponentAt >= 0)
        {
            var exponentText = span[(exponentAt + 1)..];
            var negative = exponentText.Length > 0 && exponentText[0] == '-';
            exponentText = exponentText.TrimStart("+-");

            // Saturates: anything beyond a billion is out of range either way.
            foreach (var digit in exponentText)
            {
                exponent = Math.Min((exponent * 10) + (digit - '0'), 1_000_000_000);
            }

            exponent = negative ? -exponent : exponent;
        }

        var point = mantissa.IndexOf('.');
        var integerDigits = point < 0 ? mantissa : mantissa[..point];
        var fractionDigits = point < 0 ? [] : mantissa[(point + 1)..];
        var scale = Math.Max(0, fractionDigits.Length - exponent);
        if (scale > MaxFractionDigits)
        {
            return $"the number '{Shorten(literal)}' has more than {MaxFractionDigits} digits after the decimal point, more than PostgreSQL's numeric holds";
        }

        // The power of ten of the first significant digit; a zero has none.
        long? magnitude = null;
        var firstInteger = integerDigits.IndexOfAnyExcept('0');
        if (firstInteger >= 0)
        {
            magnitude = integerDigits.Length - 1 - firstInteger + exponent;
        }
        else if (fractionDigits.IndexOfAnyExcept('0') is var firstFraction and >= 0)
        {
            magnitude = -(firstFraction + 1) + exponent;
        }

        return magnitude > MaxDecimalExponent
            ? $"the number '{Shorten(literal)}' is larger than PostgreSQL's numeric holds (at most {MaxDecimalExponent + 1} digits before the decimal point)"
            : null;
    }

    private static string Shorten(string literal) => literal.Length <= 24 ? literal : literal[..20] + "…";
}
