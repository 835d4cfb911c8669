using NpgsqlTypes;

namespace JobGrains.Storage;

/// <summary>
/// Marks a property of a row record as a column of its table: the property is the one list of
/// columns from which <see cref="RowMap{T}"/> builds the statements' column lists, their array
/// parameters and the readers. A new column is its migration plus one property.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class ColumnAttribute(string name, NpgsqlDbType type) : Attribute
{
    public string Name { get; } = name;

    public NpgsqlDbType Type { get; } = type;

    /// <summary>Written by the insert only: updates leave it as it is.</summary>
    public bool Fixed { get; init; }

    /// <summary>
    /// Can be large and is rarely needed: lists leave it out, and an update writes it only when it
    /// says so (the checkpoint).
    /// </summary>
    public bool Large { get; init; }
}
