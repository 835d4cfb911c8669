using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace JobGrains.Tests.Gateway;

/// <summary>
/// Random and mutated input on every route that takes a body, a query or a path value: no answer
/// is a 5xx, and a refused submission stores nothing. The generator is seeded, and the seed is
/// printed; <c>JOBGRAINS_FUZZ_SEED=n</c> replays a run.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class InputFuzzTests(GatewayFixture fixture, ITestOutputHelper output)
{
    /// <summary>How long the run sends requests: about a minute with the set-up, on a loaded machine.</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(40);

    private const int MaxRequests = 4000;

    /// <summary>Values PostgreSQL, .NET or the rules have trouble with, as JSON literals.</summary>
    private static readonly string[] Awkward =
    [
        "1e999999", "-1e999999", "1e-999999", "0e-99999", "1e131072", "1" + new string('0', 2000), "0." + new string('1', 17000),
        "1.5", "-1", "0", "2147483648", "-2147483649", "99999999999999999999", "1e308", "4.9e-324",
        "\"\\ud800\"", "\"x\\udc00\"", "\"\\u0000\"", "\"a\\u0000b\"", "\"\\ud83d\\ude00\"", "\"\\u001f\"", "\"é\"",
        "\"\"", "\" \"", "null", "true", "false", "[]", "{}", "[null]", "{\"\\u0000\":1}", "{\"\\ud800\":1}",
        "\"America\"", "\"../../etc/passwd\"", "\"Europe/Berlin\"", "\"UTC\"", "\"Etc/GMT+14\"", "\"Mars/Olympus\"",
        "\"2030-01-01T00:00:00Z\"", "\"0001-01-01T00:00:00Z\"", "\"9999-12-31T23:59:59Z\"", "\"2030-13-45T99:00:00Z\"",
        "\"* * * * * *\"", "\"0 0 1 1 *\"", "\"0 0 30 2 *\"", "\"@every_second\"", "\"@reboot\"", "\"*/0 * * * *\"",
        "\"skip\"", "\"runOnce\"", "\"RUNONCE\"", "\"echo\"", "\"sleep\"", "\"no-such-type\"", "\"GPU\"",
        "\"" + new string('q', 300) + "\"", new string('[', 100) + new string(']', 100),
    ];

    private const string Job = """{"type":"echo","instruction":{"fuzz":true,"n":[1,2.5,"x"],"o":{"k":null}},"queue":"fuzz","priority":3,"maxAttempts":2,"timeoutSeconds":30,"requires":["fuzz-tag"]}""";

    private static readonly (string Path, string Body)[] Seeds =
    [
        ("api/jobs", Job),
        ("api/jobs", """{"type":"echo","instruction":1,"runAt":"2030-01-01T00:00:00Z","queue":"fuzz"}"""),
        ("api/jobs/batch", $$"""{"jobs":[{{Job}},{"type":"echo","instruction":"x","queue":"fuzz","requires":["fuzz-tag"]}]}"""),
        ("api/schedules", """{"name":"fuzz-schedule","cron":"0 0 1 1 *","timeZone":"Europe/Berlin","misfire":"runOnce","job":{"type":"echo","instruction":{"fuzz":1},"queue":"fuzz","requires":["fuzz-tag"]}}"""),
    ];

    [Fact]
    public async Task Random_and_mutated_input_is_never_a_5xx_and_a_refused_submission_stores_nothing()
    {
        var seed = Environment.GetEnvironmentVariable("JOBGRAINS_FUZZ_SEED") is { Length: > 0 } given
            ? int.Parse(given, CultureInfo.InvariantCulture)
            : Environment.TickCount;
        output.WriteLine($"Fuzz seed {seed} (replay with JOBGRAINS_FUZZ_SEED={seed})");
        var random = new Random(seed);
        using var client = fixture.CreateClient();
        var silos = (await (await client.GetAsync("api/cluster")).Content.ReadAsStringAsync());
        var failures = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        var started = TimeProvider.System.GetTimestamp();
        var sent = 0;
        for (; sent < MaxRequests && TimeProvider.System.GetElapsedTime(started) < Budget && failures.Count < 5; sent++)
        {
            var (method, path, body, key) = Next(random, silos);
            var storing = method == HttpMethod.Post && path is "api/jobs" or "api/jobs/batch" or "api/schedules";
            var before = storing ? await CountStoredAsync() : default;
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = HttpJson.Json;
            }

            if (key is not null)
            {
                request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
            }

            using var response = await client.SendAsync(request);
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            var what = $"{method} {path} {(body is null ? "" : Shorten(Encoding.UTF8.GetString(body)))}";
            if (status >= 500)
            {
                failures.Add($"{status} for {what}: {Shorten(await response.Content.ReadAsStringAsync())}");
            }
            else if (storing && status >= 400 && await CountStoredAsync() is var after && after != before
                && (after.Schedules != before.Schedules || after.Jobs - before.Jobs > await StoredListedAsync(response)))
            {
                // A batch refused part-way (a key naming another body) may have stored its other jobs, but it must list them.
                failures.Add($"{status} for {what} stored something it did not list as stored");
            }

            // A schedule that a mutation made frequent would fire for the rest of the run: remove it.
            if (path == "api/schedules" && status is 200 or 201)
            {
                var name = (await response.ReadJsonAsync()).GetProperty("name").GetString()!;
                await client.DeleteAsync($"api/schedules/{Uri.EscapeDataString(name)}");
            }
        }

        output.WriteLine($"{sent} requests; answers: {string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}"))}");
        Assert.True(failures.Count == 0, $"Seed {seed}:\n{string.Join("\n", failures)}");
        Assert.True(sent >= 1000, $"Only {sent} requests within {Budget}: too few to mean much.");
        Assert.Empty(fixture.Server.Logs.Errors);
    }

    /// <summary>Jobs submitted (not those schedules fired, which come on their own) and schedules.</summary>
    /// <summary>How many jobs a refused batch's problem lists as stored (<c>stored</c>); 0 for any other answer.</summary>
    private static async Task<long> StoredListedAsync(HttpResponseMessage response)
    {
        try
        {
            var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
            return body.ValueKind == System.Text.Json.JsonValueKind.Object && body.TryGetProperty("stored", out var stored)
                && stored.ValueKind == System.Text.Json.JsonValueKind.Array ? stored.GetArrayLength() : 0;
        }
        catch (System.Text.Json.JsonException)
        {
            return 0;
        }
    }

    private async Task<(long Jobs, long Schedules)> CountStoredAsync() => (
        await fixture.Cluster.Database.ScalarAsync<long>("select count(*) from jobs where idempotency_key is null or idempotency_key not like 'schedule:%'"),
        await fixture.Cluster.Database.ScalarAsync<long>("select count(*) from job_schedules"));

    private static (HttpMethod Method, string Path, byte[]? Body, string? Key) Next(Random random, string clusterView)
    {
        switch (random.Next(10))
        {
            case < 6:
            {
                var (path, seedBody) = Seeds[random.Next(Seeds.Length)];
                var body = random.Next(8) == 0 ? Encoding.UTF8.GetBytes(RandomJson(random, 3)) : Mutate(random, seedBody);
                var key = random.Next(4) == 0 ? RandomKey(random) : null;
                return (HttpMethod.Post, path, body, key);
            }

            case 6:
                return (HttpMethod.Get, "api/jobs?" + RandomQuery(random), null, null);
            default:
            {
                var value = RandomPathValue(random);

                // A real silo's name would drain a silo of the shared cluster.
                var drain = clusterView.Contains(Uri.UnescapeDataString(value), StringComparison.Ordinal) ? "api/cluster" : $"api/cluster/silos/{value}/drain";
                var (method, path) = random.Next(11) switch
                {
                    0 => (HttpMethod.Get, $"api/jobs/{value}"),
                    1 => (HttpMethod.Get, $"api/jobs/{value}/attempts"),
                    2 => (HttpMethod.Post, $"api/jobs/{value}/cancel"),
                    3 => (HttpMethod.Post, $"api/jobs/{value}/retry"),
                    4 => (HttpMethod.Get, $"api/schedules/{value}"),
                    5 => (HttpMethod.Delete, $"api/schedules/{value}"),
                    6 => (HttpMethod.Post, $"api/schedules/{value}/pause"),
                    7 => (HttpMethod.Post, $"api/schedules/{value}/resume"),
                    8 => (HttpMethod.Post, drain),
                    9 => (HttpMethod.Get, $"api/cluster?{RandomQuery(random)}"),
                    _ => (HttpMethod.Get, $"api/schedules?{RandomQuery(random)}"),
                };
                return (method, path, null, null);
            }
        }
    }

    /// <summary>One to three mutations of a valid body: structural ones on its JSON, or bytes.</summary>
    private static byte[] Mutate(Random random, string seed)
    {
        var text = seed;
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            text = random.Next(6) switch
            {
                0 => MutateBytes(random, text),
                _ => MutateTree(random, text),
            };
        }

        return Encoding.UTF8.GetBytes(text);
    }

    private static string MutateBytes(Random random, string text)
    {
        var builder = new StringBuilder(text);
        var at = random.Next(builder.Length + 1);
        switch (random.Next(4))
        {
            case 0 when builder.Length > 0 && at < builder.Length:
                builder.Remove(at, Math.Min(builder.Length - at, random.Next(1, 5)));
                break;
            case 1:
                const string Characters = "{}[],:\"\\0-e.\u0000\u00e9";
                builder.Insert(at, Characters[random.Next(Characters.Length)]);
                break;
            case 2:
                builder.Insert(at, Awkward[random.Next(Awkward.Length)]);
                break;
            default:
                builder.Length = at;
                break;
        }

        return builder.ToString();
    }

    /// <summary>
    /// Replaces, removes, doubles or adds a member somewhere in the document. Awkward values go in
    /// as placeholders and are spliced in as text, since a JSON tree cannot hold all of them.
    /// </summary>
    private static string MutateTree(Random random, string text)
    {
        try
        {
            return MutateParsedTree(random, text);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
        {
            // Not JSON a tree can hold (an earlier mutation broke it, or doubled a member): bytes instead.
            return MutateBytes(random, text);
        }
    }

    private static string MutateParsedTree(Random random, string text)
    {
        var root = JsonNode.Parse(text);

        var containers = new List<JsonNode>();
        Collect(root, containers);
        if (containers.Count == 0)
        {
            return MutateBytes(random, text);
        }

        var target = containers[random.Next(containers.Count)];
        var literal = random.Next(3) == 0 ? RandomJson(random, 2) : Awkward[random.Next(Awkward.Length)];
        const string Placeholder = "\u0001fuzz\u0001";
        var duplicate = false;
        if (target is JsonObject obj)
        {
            var names = obj.Select(p => p.Key).ToList();
            var name = names.Count > 0 && random.Next(5) > 0 ? names[random.Next(names.Count)] : RandomName(random);
            switch (random.Next(4))
            {
                case 0 when names.Contains(name):
                    obj.Remove(name);
                    break;
                case 1 when names.Contains(name):
                    duplicate = true;
                    obj[name] = Placeholder;
                    break;
                default:
                    obj[name] = Placeholder;
                    break;
            }

            var json = obj.Root.ToJsonString();
            var placeholderJson = System.Text.Json.JsonSerializer.Serialize(Placeholder);
            if (duplicate)
            {
                // The same member twice: the original value, then the awkward one.
                json = json.Replace(placeholderJson, $"{literal},{System.Text.Json.JsonSerializer.Serialize(name)}:{literal}", StringComparison.Ordinal);
            }

            return json.Replace(placeholderJson, literal, StringComparison.Ordinal);
        }

        var array = (JsonArray)target;
        if (array.Count > 0 && random.Next(3) == 0)
        {
            array.RemoveAt(random.Next(array.Count));
        }
        else
        {
            array.Insert(random.Next(array.Count + 1), (JsonNode)Placeholder);
        }

        return array.Root.ToJsonString().Replace(System.Text.Json.JsonSerializer.Serialize(Placeholder), literal, StringComparison.Ordinal);
    }

    private static void Collect(JsonNode? node, List<JsonNode> containers)
    {
        switch (node)
        {
            case JsonObject obj:
                containers.Add(obj);
                foreach (var (_, value) in obj)
                {
                    Collect(value, containers);
                }

                break;
            case JsonArray array:
                containers.Add(array);
                foreach (var item in array)
                {
                    Collect(item, containers);
                }

                break;
        }
    }

    private static string RandomJson(Random random, int depth) => random.Next(depth <= 0 ? 5 : 8) switch
    {
        0 => Awkward[random.Next(Awkward.Length)],
        1 => random.NextDouble().ToString("R", CultureInfo.InvariantCulture) + (random.Next(3) == 0 ? $"e{random.Next(-400, 400)}" : ""),
        2 => Quote(RandomText(random, 12)),
        3 => random.Next(2) == 0 ? "true" : "null",
        4 => random.Next(int.MinValue, int.MaxValue).ToString(CultureInfo.InvariantCulture),
        5 or 6 => "{" + string.Join(",", Enumerable.Range(0, random.Next(4)).Select(_ =>
            $"{Quote(RandomName(random))}:{RandomJson(random, depth - 1)}")) + "}",
        _ => "[" + string.Join(",", Enumerable.Range(0, random.Next(4)).Select(_ => RandomJson(random, depth - 1))) + "]",
    };

    /// <summary>A JSON string of any text: every character outside printable ASCII escaped, lone surrogates and U+0000 included.</summary>
    private static string Quote(string text)
    {
        var builder = new StringBuilder("\"");
        foreach (var c in text)
        {
            builder.Append(c is >= ' ' and < (char)127 and not '"' and not '\\' ? c.ToString() : $"\\u{(int)c:x4}");
        }

        return builder.Append('"').ToString();
    }

    private static readonly string[] Names = ["type", "instruction", "queue", "priority", "maxAttempts", "timeoutSeconds", "runAt",
        "requires", "jobs", "name", "cron", "timeZone", "misfire", "job", "id", "state", "bogus", ""];

    private static string RandomName(Random random) => random.Next(4) == 0 ? RandomText(random, 8) : Names[random.Next(Names.Length)];

    /// <summary>Text of any characters, lone surrogates and U+0000 included.</summary>
    private static string RandomText(Random random, int maxLength)
    {
        var builder = new StringBuilder();
        for (var n = random.Next(maxLength + 1); n > 0; n--)
        {
            builder.Append(random.Next(6) switch
            {
                0 => (char)random.Next(0, 32),
                1 => (char)random.Next(0xD800, 0xE000),
                2 => (char)random.Next(0x80, 0xD800),
                _ => (char)random.Next(32, 127),
            });
        }

        return builder.ToString();
    }

    private static string RandomQuery(Random random)
    {
        string[] names = ["state", "type", "queue", "limit", "after", "fields", "bogus"];
        string[] values = ["queued", "running", "RUNNING", "", "0", "-1", "501", "500", "1", "99999999999", "1.5", "echo", "fuzz",
            "%00", "%ED%A0%80", "%FF", "%C3%A9", "abc", "MjAzMC0wMS0wMVQwMDowMDowMFp8MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw", new string('a', 1200)];
        return string.Join("&", Enumerable.Range(0, random.Next(1, 5)).Select(_ =>
        {
            var value = random.Next(4) == 0 ? Uri.EscapeDataString(new string(RandomText(random, 10).Where(c => !char.IsSurrogate(c)).ToArray())) : values[random.Next(values.Length)];
            return $"{names[random.Next(names.Length)]}={value}";
        }));
    }

    private static string RandomPathValue(Random random) => random.Next(6) switch
    {
        0 => Guid.NewGuid().ToString(),
        1 => "fuzz-schedule",
        2 => "%00",
        3 => new string('n', random.Next(90, 130)),
        4 => Uri.EscapeDataString(Guid.NewGuid().ToString()[..random.Next(1, 36)] + "é"),
        _ => Uri.EscapeDataString(new string(RandomText(random, 20).Where(c => !char.IsSurrogate(c)).ToArray()) is { Length: > 0 } text ? text : "x"),
    };

    private static string RandomKey(Random random) => random.Next(3) switch
    {
        0 => "",
        1 => new string('k', random.Next(1, 200)),
        _ => "fuzz-" + random.Next(20).ToString(CultureInfo.InvariantCulture),
    };

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
