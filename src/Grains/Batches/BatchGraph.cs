using System.Globalization;
using System.Text.Json;
using JobGrains.Jobs;

namespace JobGrains.Batches;

/// <summary>
/// The jobs of a batch (or one job with dependencies) as a graph: each job's dependencies inside
/// the batch (by index) and outside it (by id), and an order in which every job comes after the
/// jobs of the batch it depends on. Built only from a graph that breaks no rule: refs unique,
/// every dependency known, none on itself, no cycle, within the limits.
/// </summary>
internal sealed class BatchGraph
{
    private BatchGraph(IReadOnlyList<BatchNode> nodes, IReadOnlyList<int> order)
    {
        Nodes = nodes;
        Order = order;
    }

    /// <summary>The jobs, in the order they were submitted.</summary>
    public IReadOnlyList<BatchNode> Nodes { get; }

    /// <summary>Indexes of <see cref="Nodes"/>, each after the jobs of the batch it depends on.</summary>
    public IReadOnlyList<int> Order { get; }

    /// <summary>Ids of stored jobs that some job of the graph depends on.</summary>
    public IReadOnlyList<Guid> ExternalDependencies => [.. Nodes.SelectMany(n => n.External).Distinct()];

    /// <summary>The graph of a single job whose dependencies are all stored jobs.</summary>
    public static BatchGraph Single(Guid id, JobSubmission submission) =>
        new([new BatchNode(id, submission, [], [.. (submission.DependsOn ?? []).Distinct()])], [0]);

    /// <summary>The graph of <paramref name="jobs"/>, with the ids given; or null and the first rule broken, naming the job.</summary>
    public static BatchGraph? Build(IReadOnlyList<BatchJob> jobs, IReadOnlyList<Guid> ids, out string? problem)
    {
        problem = null;
        if (jobs.Count is 0 or > JobDefaults.MaxBatchJobs)
        {
            problem = $"A batch holds 1 to {JobDefaults.MaxBatchJobs} jobs, not {jobs.Count}.";
            return null;
        }

        var refs = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < jobs.Count; i++)
        {
            if (jobs[i].Ref is not { } name)
            {
                continue;
            }

            if (name.Length is 0 or > JobDefaults.MaxNameLength || name.Any(char.IsControl))
            {
                problem = $"{At(i)}: 'ref' must be 1 to {JobDefaults.MaxNameLength} printable characters.";
                return null;
            }

            if (!refs.TryAdd(name, i))
            {
                problem = $"{At(i)}: the ref '{name}' is already used by {At(refs[name])}.";
                return null;
            }
        }

        var indexOfId = new Dictionary<Guid, int>(ids.Count);
        for (var i = 0; i < ids.Count; i++)
        {
            indexOfId[ids[i]] = i;
        }

        var nodes = new BatchNode[jobs.Count];
        for (var i = 0; i < jobs.Count; i++)
        {
            var internalDeps = new HashSet<int>();
            var externalDeps = new HashSet<Guid>(jobs[i].Submission.DependsOn ?? []);
            foreach (var entry in jobs[i].DependsOn ?? [])
            {
                if (refs.TryGetValue(entry, out var index))
                {
                    internalDeps.Add(index);
                }
                else if (Guid.TryParse(entry, CultureInfo.InvariantCulture, out var id))
                {
                    externalDeps.Add(id);
                }
                else
                {
                    problem = $"{At(i)}: 'dependsOn' names '{Truncate(entry)}', which is neither a ref of this batch nor a job id.";
                    return null;
                }
            }

            // A job id of the batch itself counts as the job it names.
            foreach (var id in externalDeps.ToList())
            {
                if (indexOfId.TryGetValue(id, out var index))
                {
                    externalDeps.Remove(id);
                    internalDeps.Add(index);
                }
            }

            if (internalDeps.Contains(i))
            {
                problem = $"{At(i)}: a job cannot depend on itself.";
                return null;
            }

            if (internalDeps.Count + externalDeps.Count > JobDefaults.MaxDependencies)
            {
                problem = $"{At(i)}: a job may depend on at most {JobDefaults.MaxDependencies} jobs.";
                return null;
            }

            nodes[i] = new BatchNode(ids[i], jobs[i].Submission, [.. internalDeps.Order()], [.. externalDeps]);
        }

        var order = TopologicalOrder(nodes);
        if (order.Count < nodes.Length)
        {
            var stuck = Enumerable.Range(0, nodes.Length).Except(order).First();
            problem = $"{At(stuck)}: its dependencies form a cycle.";
            return null;
        }

        return new BatchGraph(nodes, order);
    }

    /// <summary>Whether <paramref name="instruction"/> is a JSON object, as an onComplete job's must be (the batch's summary is merged into it).</summary>
    public static bool IsObject(string instruction)
    {
        try
        {
            using var document = JsonDocument.Parse(instruction);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // Kahn's algorithm: a job is placed once every job of the batch it depends on is placed.
    private static List<int> TopologicalOrder(BatchNode[] nodes)
    {
        var waiting = new int[nodes.Length];
        var dependents = new List<int>[nodes.Length];
        for (var i = 0; i < nodes.Length; i++)
        {
            waiting[i] = nodes[i].Internal.Count;
            foreach (var dependency in nodes[i].Internal)
            {
                (dependents[dependency] ??= []).Add(i);
            }
        }

        var order = new List<int>(nodes.Length);
        var ready = new Queue<int>(Enumerable.Range(0, nodes.Length).Where(i => waiting[i] == 0));
        while (ready.TryDequeue(out var next))
        {
            order.Add(next);
            foreach (var dependent in dependents[next] ?? [])
            {
                if (--waiting[dependent] == 0)
                {
                    ready.Enqueue(dependent);
                }
            }
        }

        return order;
    }

    private static string At(int index) => $"Job {index} (jobs[{index}])";

    private static string Truncate(string text) => text.Length <= 60 ? text : text[..60] + "…";
}

/// <summary>One job of a <see cref="BatchGraph"/>: its id, submission, and dependencies inside the batch (indexes) and outside it (ids).</summary>
internal sealed record BatchNode(Guid Id, JobSubmission Submission, IReadOnlyList<int> Internal, IReadOnlyList<Guid> External);
