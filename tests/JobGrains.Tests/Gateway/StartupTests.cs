using Microsoft.Extensions.Options;

namespace JobGrains.Tests.Gateway;

/// <summary>The real entry point refuses to start with a configuration that would be unsafe or unusable.</summary>
public sealed class StartupTests
{
    private const string Connection = "Host=127.0.0.1;Port=1;Username=nobody;Database=none";

    private static Exception StartFails(Dictionary<string, string?> settings)
    {
        using var factory = new GatewayFactory(settings);
        return Record.Exception(() => factory.Services);
    }

    [Fact]
    public void No_api_key_at_all_refuses_to_start_with_a_clear_message()
    {
        var error = StartFails(new() { ["ConnectionStrings:JobGrains"] = Connection });

        var validation = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains("No API key is configured", validation.Message, StringComparison.Ordinal);
        Assert.Contains("JobGrains__Auth__Keys__0", validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Key_listed_as_admin_and_read_only_refuses_to_start()
    {
        var error = StartFails(new()
        {
            ["ConnectionStrings:JobGrains"] = Connection,
            ["JobGrains:Auth:Keys:0"] = "same-key-0123456789abcdef0123456789",
            ["JobGrains:Auth:ReadOnlyKeys:0"] = "same-key-0123456789abcdef0123456789",
        });

        Assert.Contains("both", Assert.IsType<OptionsValidationException>(error).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Key_shorter_than_32_characters_refuses_to_start_with_a_clear_message()
    {
        var error = StartFails(new()
        {
            ["ConnectionStrings:JobGrains"] = Connection,
            ["JobGrains:Auth:Keys:0"] = "0123456789abcdef0123456789abcde",
        });

        var message = Assert.IsType<OptionsValidationException>(error).Message;
        Assert.Contains("JobGrains:Auth:Keys:0 is 31 characters long", message, StringComparison.Ordinal);
        Assert.Contains("at least 32", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Absurd_body_limit_refuses_to_start()
    {
        var error = StartFails(new()
        {
            ["ConnectionStrings:JobGrains"] = Connection,
            ["JobGrains:Auth:Keys:0"] = "a-key-0123456789abcdef0123456789abcdef",
            ["JobGrains:Gateway:MaxBodyBytes"] = "-5",
        });

        Assert.Contains("MaxBodyBytes", Assert.IsType<OptionsValidationException>(error).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_connection_string_refuses_to_start_with_a_clear_message()
    {
        var error = StartFails(new() { ["JobGrains:Auth:Keys:0"] = "a-key-0123456789abcdef0123456789abcdef" });

        Assert.Contains("ConnectionStrings__JobGrains", error.ToString(), StringComparison.Ordinal);
    }
}
