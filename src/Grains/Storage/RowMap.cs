using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json;
using JobGrains.Jobs;
using Npgsql;
using NpgsqlTypes;

namespace JobGrains.Storage;

/// <summary>
/// The columns of a row record <typeparamref name="T"/>, from its <see cref="ColumnAttribute"/>
/// properties: the column lists of statements, one array parameter per column for set-based
/// writes (<c>unnest</c>), and a reader that finds each column by name once per result set and
/// builds the record with compiled code (as fast as a hand-written reader, and never out of step
/// with the table).
/// </summary>
internal sealed class RowMap<T> where T : class
{
    private static readonly JsonSerializerOptions WireJson = new(JsonSerializerDefaults.Web);

    private readonly Func<NpgsqlDataReader, int[], T> _build;

    private RowMap()
    {
        Columns = [.. typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<ColumnAttribute>() is not null)
            .Select((p, i) => new RowColumn(p, p.GetCustomAttribute<ColumnAttribute>()!, i))];
        _build = CompileBuilder(Columns);
    }

    public static RowMap<T> Instance { get; } = new();

    public IReadOnlyList<RowColumn> Columns { get; }

    /// <summary>The columns a statement selects or returns, each under its own name; <paramref name="alias"/> qualifies them.</summary>
    public string Select(bool withLarge = true, string? alias = null) =>
        string.Join(", ", Columns.Where(c => withLarge || !c.Large).Select(c => c.SelectExpression(alias)));

    /// <summary>
    /// A reader for the current result set of <paramref name="reader"/>: columns are found by name
    /// once here; a column the result set lacks reads as its default.
    /// </summary>
    public Func<NpgsqlDataReader, T> ReaderFor(NpgsqlDataReader reader)
    {
        var ordinals = new int[Columns.Count];
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < reader.FieldCount; i++)
        {
            names.TryAdd(reader.GetName(i), i);
        }

        for (var i = 0; i < Columns.Count; i++)
        {
            ordinals[i] = names.GetValueOrDefault(Columns[i].Name, -1);
        }

        return r => _build(r, ordinals);
    }

    private static Func<NpgsqlDataReader, int[], T> CompileBuilder(IReadOnlyList<RowColumn> columns)
    {
        var reader = Expression.Parameter(typeof(NpgsqlDataReader), "reader");
        var ordinals = Expression.Parameter(typeof(int[]), "ordinals");
        var bindings = columns.Select(c => Expression.Bind(c.Property,
            Expression.Call(typeof(RowMap<T>).GetMethod(nameof(ReadColumn), BindingFlags.NonPublic | BindingFlags.Static)!
                    .MakeGenericMethod(c.Property.PropertyType),
                reader, Expression.ArrayIndex(ordinals, Expression.Constant(c.Index)))));
        var body = Expression.MemberInit(Expression.New(typeof(T)), bindings);
        return Expression.Lambda<Func<NpgsqlDataReader, int[], T>>(body, reader, ordinals).Compile();
    }

    private static TValue ReadColumn<TValue>(NpgsqlDataReader reader, int ordinal) =>
        ordinal < 0 || reader.IsDBNull(ordinal) ? default! : ColumnValue<TValue>.Read(reader, ordinal);

    /// <summary>How a column's value is read into a property of type <typeparamref name="TValue"/> (never for SQL null).</summary>
    private static class ColumnValue<TValue>
    {
        public static readonly Func<NpgsqlDataReader, int, TValue> Read =
            typeof(TValue) == typeof(JobState) ? (Func<NpgsqlDataReader, int, TValue>)(object)(Func<NpgsqlDataReader, int, JobState>)((r, o) => JobSql.ParseState(r.GetString(o)))
            : typeof(TValue) == typeof(string) || typeof(TValue).IsValueType ? (r, o) => r.GetFieldValue<TValue>(o)
            : (r, o) => JsonSerializer.Deserialize<TValue>(r.GetString(o), WireJson)!; // records and lists stored as jsonb
    }

    /// <summary>One column: its property, its name and type in the table, and how it is written and read.</summary>
    public sealed class RowColumn
    {
        private readonly Func<IReadOnlyList<T>, NpgsqlParameter> _arrayOf;
        private readonly Delegate _getter;

        internal RowColumn(PropertyInfo property, ColumnAttribute column, int index)
        {
            Property = property;
            Name = column.Name;
            Type = column.Type;
            Fixed = column.Fixed;
            Large = column.Large;
            Index = index;
            var row = Expression.Parameter(typeof(T), "row");
            var value = ToDb(Expression.Property(row, property));
            var getter = Expression.Lambda(value, row).Compile();
            _arrayOf = typeof(RowColumn).GetMethod(nameof(ArrayOf), 1, BindingFlags.NonPublic | BindingFlags.Instance, [typeof(IReadOnlyList<T>)])!
                .MakeGenericMethod(value.Type).CreateDelegate<Func<IReadOnlyList<T>, NpgsqlParameter>>(this);
            _getter = getter;
        }

        public PropertyInfo Property { get; }

        public string Name { get; }

        public NpgsqlDbType Type { get; }

        public bool Fixed { get; }

        public bool Large { get; }

        internal int Index { get; }

        /// <summary>The type of the column's array parameter in SQL, e.g. <c>uuid[]</c>.</summary>
        public string ArraySqlType => Type switch
        {
            NpgsqlDbType.Uuid => "uuid[]",
            NpgsqlDbType.Integer => "int[]",
            NpgsqlDbType.Bigint => "bigint[]",
            NpgsqlDbType.Boolean => "bool[]",
            NpgsqlDbType.TimestampTz => "timestamptz[]",
            NpgsqlDbType.Jsonb => "jsonb[]",
            _ => "text[]",
        };

        /// <summary>The column as a statement selects it; JSON comes back as text, under the column's name.</summary>
        public string SelectExpression(string? alias)
        {
            var qualified = alias is null ? Name : $"{alias}.{Name}";
            return Type == NpgsqlDbType.Jsonb ? $"{qualified}::text AS {Name}" : qualified;
        }

        internal NpgsqlParameter ArrayOf(IReadOnlyList<T> rows) => _arrayOf(rows);

        // A typed array of PostgreSQL's form of the values, so that Npgsql writes it as it is.
        private NpgsqlParameter ArrayOf<TDb>(IReadOnlyList<T> rows)
        {
            var get = (Func<T, TDb>)_getter;
            var values = new TDb[rows.Count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = get(rows[i]);
            }

            return new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | Type, Value = values };
        }

        /// <summary>PostgreSQL's form of a property's value: states as their wire names, times in UTC, records as JSON.</summary>
        private static Expression ToDb(Expression value)
        {
            var type = value.Type;
            if (type == typeof(JobState))
            {
                return Expression.Call(typeof(JobStates).GetMethod(nameof(JobStates.ToWire))!, value);
            }

            if (type == typeof(DateTimeOffset))
            {
                return Expression.Property(value, nameof(DateTimeOffset.UtcDateTime));
            }

            if (type == typeof(DateTimeOffset?))
            {
                return Expression.Condition(Expression.Property(value, "HasValue"),
                    Expression.Convert(Expression.Property(Expression.Property(value, "Value"), nameof(DateTimeOffset.UtcDateTime)), typeof(DateTime?)),
                    Expression.Constant(null, typeof(DateTime?)));
            }

            if (type == typeof(string) || type.IsValueType)
            {
                return value;
            }

            return Expression.Call(typeof(RowMap<T>).GetMethod(nameof(ToJson), BindingFlags.NonPublic | BindingFlags.Static)!, Expression.Convert(value, typeof(object)));
        }
    }

    private static string? ToJson(object? value) => value is null ? null : JsonSerializer.Serialize(value, value.GetType(), WireJson);
}
