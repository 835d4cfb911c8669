using JobGrains.Bulk;
using JobGrains.Jobs;
using Npgsql;
using NpgsqlTypes;

namespace JobGrains.Storage;

/// <summary>
/// The WHERE conditions of a filter over <c>jobs</c>. Each criterion that is present adds a
/// parameter, never text, so that plans are reused and the matching index serves it: the
/// (filter, created_at, id) indexes, and for instruction containment (<c>@&gt;</c>) the side table
/// <c>job_instructions</c>: its GIN index <c>job_instructions_path</c> (migration 0015) or, for a
/// list, its creation-time index <c>job_instructions_created</c> (0017).
/// </summary>
internal sealed class JobConditions(NpgsqlParameterCollection parameters)
{
    private readonly List<string> _conditions = [];

    /// <summary>" WHERE a AND b ...", or nothing when no condition was added.</summary>
    public string Where => _conditions.Count > 0 ? " WHERE " + string.Join(" AND ", _conditions) : "";

    /// <summary>" AND a AND b ...", to follow a condition of the statement's own; nothing when none was added.</summary>
    public string And => string.Concat(_conditions.Select(c => " AND " + c));

    /// <summary>Adds <paramref name="template"/>, whose <c>{p}</c> stands for <paramref name="parameter"/>.</summary>
    public void Add(string template, NpgsqlParameter parameter)
    {
        parameters.Add(parameter);
        _conditions.Add(template.Replace("{p}", "$" + parameters.Count, StringComparison.Ordinal));
    }

    public void State(JobState? state)
    {
        if (state is { } s)
        {
            Add("state = {p}", new NpgsqlParameter<string> { TypedValue = s.ToWire() });
        }
    }

    public void States(IEnumerable<JobState> states) =>
        Add("state = ANY({p})", new NpgsqlParameter<string[]> { TypedValue = [.. states.Select(s => s.ToWire())] });

    public void Type(string? type)
    {
        if (type is not null)
        {
            Add("type = {p}", new NpgsqlParameter<string> { TypedValue = type });
        }
    }

    public void Queue(string? queue)
    {
        if (queue is not null)
        {
            Add("queue = {p}", new NpgsqlParameter<string> { TypedValue = queue });
        }
    }

    public void Batch(Guid? batch)
    {
        if (batch is { } id)
        {
            Add("batch_id = {p}", new NpgsqlParameter<Guid> { TypedValue = id });
        }
    }

    /// <summary>Jobs whose instruction contains <paramref name="instruction"/>, a JSON object (<see cref="InstructionFilter"/>).</summary>
    /// <remarks>
    /// Asked of <c>job_instructions</c>, the insert-only copy whose GIN index the starts and ends of
    /// jobs never touch, as a semi-join: what bulk operations use, as they take every match anyway.
    /// A list walks the copy in its own order instead (<see cref="CopyContains"/>).
    /// </remarks>
    public void Instruction(string? instruction)
    {
        if (instruction is not null)
        {
            Add("id IN (SELECT job_id FROM job_instructions WHERE instruction @> {p})", new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = instruction });
        }
    }

    /// <summary>
    /// Copies (<c>job_instructions i</c>) whose instruction contains <paramref name="instruction"/>:
    /// the list by instruction walks the copy (<see cref="JobSql.SelectListByInstruction"/>).
    /// </summary>
    public void CopyContains(string instruction) =>
        Add("i.instruction @> {p}", new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = instruction });

    public void CreatedFrom(DateTimeOffset? from)
    {
        if (from is { } t)
        {
            Add("created_at >= {p}", new NpgsqlParameter<DateTime> { TypedValue = t.UtcDateTime });
        }
    }

    public void CreatedBefore(DateTimeOffset? before)
    {
        if (before is { } t)
        {
            Add("created_at < {p}", new NpgsqlParameter<DateTime> { TypedValue = t.UtcDateTime });
        }
    }

    /// <summary>Jobs after <paramref name="cursor"/> in the lists' order (newest first): the keyset page that follows it.</summary>
    public void After(JobCursor? cursor) => After(cursor, "(created_at, id)");

    /// <summary>Copies after <paramref name="cursor"/>, which names a job: the copy has its creation time and id.</summary>
    public void CopyAfter(JobCursor? cursor) => After(cursor, "(i.created_at, i.job_id)");

    private void After(JobCursor? cursor, string key)
    {
        if (cursor is { } c)
        {
            parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = c.CreatedAt.UtcDateTime });
            Add($"{key} < (${parameters.Count}, {{p}})", new NpgsqlParameter<Guid> { TypedValue = c.Id });
        }
    }

    /// <summary>Every criterion of a bulk operation's <paramref name="filter"/>.</summary>
    public void Filter(JobFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        State(filter.State);
        Type(filter.Type);
        Queue(filter.Queue);
        CreatedFrom(filter.CreatedAfter);
        CreatedBefore(filter.CreatedBefore);
        Instruction(filter.Instruction);
    }
}
