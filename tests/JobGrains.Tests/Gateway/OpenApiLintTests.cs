using System.Net;

namespace JobGrains.Tests.Gateway;

/// <summary>The OpenAPI document a running gateway serves passes Redocly's recommended rules.</summary>
[Collection(GatewayCollection.Name)]
public sealed class OpenApiLintTests(GatewayFixture fixture)
{
    [OpenApiLinterFact]
    public async Task OpenApi_document_passes_the_recommended_lint_rules_with_no_error_or_warning()
    {
        using var client = fixture.CreateClient(key: null);
        var response = await client.GetAsync("openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var path = Path.Combine(Path.GetTempPath(), $"jobgrains-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, await response.Content.ReadAsStringAsync());
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var report = await OpenApiLinter.LintAsync(path, timeout.Token);

            var found = string.Join(Environment.NewLine, report.Problems);
            Assert.True(report.Errors == 0 && report.Warnings == 0,
                $"The linter found {report.Errors} error(s) and {report.Warnings} warning(s):{Environment.NewLine}{found}");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
