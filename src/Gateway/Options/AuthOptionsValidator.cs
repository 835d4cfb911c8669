using Microsoft.Extensions.Options;

namespace JobGrains.Gateway.Options;

/// <summary>
/// Refuses a start without any API key, or with keys that are empty, shorter than
/// <see cref="AuthOptions.MinimumKeyLength"/>, contain white space or are listed as both kinds.
/// </summary>
internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Keys.Count == 0 && options.ReadOnlyKeys.Count == 0)
        {
            failures.Add(
                "No API key is configured, and the gateway never runs without auth. Set at least one admin key " +
                "(JobGrains__Auth__Keys__0=<key>) and optionally read-only keys (JobGrains__Auth__ReadOnlyKeys__0=<key>).");
        }

        Check(options.Keys, "JobGrains:Auth:Keys", failures);
        Check(options.ReadOnlyKeys, "JobGrains:Auth:ReadOnlyKeys", failures);
        if (options.Keys.Intersect(options.ReadOnlyKeys, StringComparer.Ordinal).Any())
        {
            failures.Add("A key is listed both as an admin key and as a read-only key.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(IList<string> keys, string section, List<string> failures)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            if (string.IsNullOrEmpty(key))
            {
                failures.Add($"{section}:{i} is empty.");
            }
            else if (key.Any(char.IsWhiteSpace) || key.Any(char.IsControl))
            {
                failures.Add($"{section}:{i} must not contain white space or control characters.");
            }
            else if (key.Length < AuthOptions.MinimumKeyLength)
            {
                failures.Add(
                    $"{section}:{i} is {key.Length} characters long; API keys must have at least {AuthOptions.MinimumKeyLength} " +
                    "(for example 48 hex digits from 'openssl rand -hex 24').");
            }
        }
    }
}
