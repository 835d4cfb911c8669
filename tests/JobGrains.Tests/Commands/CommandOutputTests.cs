using System.Text;
using JobGrains.Execution.Commands;

namespace JobGrains.Tests.Commands;

/// <summary>How a program's output is split, bounded and read, without a cluster.</summary>
public sealed class CommandOutputTests
{
    [Fact]
    public async Task A_line_of_megabytes_is_held_only_up_to_the_line_limit_and_the_rest_is_counted()
    {
        const int limit = 1024;
        var huge = new string('x', 5_000_000);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes($"first\r\n{huge}\nlast"));
        var lines = new List<OutputLine>();
        await new OutputLineReader(stream, limit).ReadToEndAsync(line =>
        {
            lines.Add(line);
            return ValueTask.CompletedTask;
        }, CancellationToken.None);

        Assert.Equal(3, lines.Count);
        Assert.Equal(new OutputLine("first", 0), lines[0]);
        Assert.Equal(limit, lines[1].Text.Length);
        Assert.Equal(5_000_000 - limit, lines[1].CutBytes);
        Assert.Equal(new OutputLine("last", 0), lines[2]);
    }

    [Fact]
    public void The_tail_keeps_the_last_4_KiB_from_a_whole_character_with_control_characters_replaced()
    {
        var tail = new OutputTail();
        for (var i = 0; i < 10_000; i++)
        {
            tail.Add(new OutputLine($"ünïcödé line {i}", 0));
        }

        tail.Add(new OutputLine("nul\0 and bell\a", 0));
        var text = tail.ToString();
        Assert.InRange(Encoding.UTF8.GetByteCount(text), OutputTail.Capacity - 16, OutputTail.Capacity);
        Assert.EndsWith("ünïcödé line 9999\nnul\uFFFD and bell\uFFFD", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\0', text);
    }

    [Theory]
    [InlineData("::progress:: 42.5 halfway there ", 42.5, "halfway there")]
    [InlineData("::progress:: 7", 7.0, null)]
    public void Progress_lines_carry_a_percentage_and_an_optional_message(string text, double percent, string? message) =>
        Assert.Equal(new ProtocolLine.Progress(percent, message), ProtocolLine.Parse(new OutputLine(text, 0)));

    [Theory]
    [InlineData("::checkpoint:: {\"step\": 3}", "checkpoint")]
    [InlineData("::result:: [1, 2]", "result")]
    [InlineData("::result:: {oops", "malformed")]
    [InlineData("::result:: \"a\\u0000b\"", "malformed")]
    [InlineData("::progress:: many", "malformed")]
    [InlineData("::resultant:: 1", "log")]
    [InlineData("plain output", "log")]
    public void Lines_are_told_apart_by_their_keyword(string text, string expected)
    {
        var kind = ProtocolLine.Parse(new OutputLine(text, 0)) switch
        {
            null => "log",
            ProtocolLine.Checkpoint => "checkpoint",
            ProtocolLine.Result => "result",
            ProtocolLine.Malformed => "malformed",
            var other => other.ToString(),
        };
        Assert.Equal(expected, kind);
    }

    [Fact]
    public void A_result_line_that_was_cut_is_refused_rather_than_read_as_truncated_JSON() =>
        Assert.IsType<ProtocolLine.Malformed>(ProtocolLine.Parse(new OutputLine("::result:: \"abc", CutBytes: 10)));
}
