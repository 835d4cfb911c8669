using System.Collections.Concurrent;
using JobGrains.Client;
using JobGrains.Jobs;

namespace JobGrains.Gateway.Api;

/// <summary>
/// Tells whether the cluster knows a job type, so that a batch with an unknown type is refused
/// whole before any of it is stored. The grain interfaces have no call for this yet, so it asks
/// the job grain to validate a probe that can never be stored (an instruction that is not JSON,
/// no attempts allowed): only the type rule, checked first, can set the answers apart. Answers
/// are cached briefly; a type the cluster stops knowing is still caught by the submission itself.
/// </summary>
internal sealed class JobTypeCheck(JobsClient jobs, TimeProvider time)
{
    private static readonly TimeSpan KnownFor = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan UnknownFor = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, (bool Known, DateTimeOffset Until)> _answers = new(StringComparer.Ordinal);

    /// <summary>The types of <paramref name="types"/> that the cluster does not know.</summary>
    public async Task<IReadOnlySet<string>> FindUnknownAsync(IEnumerable<string> types)
    {
        var now = time.GetUtcNow();
        var toAsk = new List<string>();
        var unknown = new HashSet<string>(StringComparer.Ordinal);
        foreach (var type in types.Distinct(StringComparer.Ordinal))
        {
            if (_answers.TryGetValue(type, out var answer) && answer.Until > now)
            {
                if (!answer.Known)
                {
                    unknown.Add(type);
                }
            }
            else
            {
                toAsk.Add(type);
            }
        }

        var known = await Task.WhenAll(toAsk.Select(IsKnownAsync));
        for (var i = 0; i < toAsk.Count; i++)
        {
            _answers[toAsk[i]] = (known[i], now + (known[i] ? KnownFor : UnknownFor));
            if (!known[i])
            {
                unknown.Add(toAsk[i]);
            }
        }

        if (_answers.Count > 10_000)
        {
            _answers.Clear();
        }

        return unknown;
    }

    private async Task<bool> IsKnownAsync(string type)
    {
        var probe = new JobSubmission { Type = type, Instruction = "<probe: not JSON>", MaxAttempts = 0 };
        var result = await jobs.SubmitAsync(probe);
        return result.Status != SubmitStatus.Invalid
            || result.Problem is null
            || !result.Problem.Contains("job type", StringComparison.OrdinalIgnoreCase);
    }
}
