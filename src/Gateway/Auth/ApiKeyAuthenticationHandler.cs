using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace JobGrains.Gateway.Auth;

/// <summary>
/// Authenticates API keys from <c>Authorization: Bearer &lt;key&gt;</c> or <c>X-Api-Key</c>, and
/// on the hub's path also from the <c>access_token</c> query parameter (what SignalR clients
/// send for WebSockets and server-sent events, which cannot carry headers from a browser).
/// Challenges and refusals answer with ProblemDetails.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiKeyVerifier verifier,
    FailedAuthenticationLog failures,
    IProblemDetailsService problemDetails)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string ApiKeyHeader = "X-Api-Key";
    public const string AccessTokenParameter = "access_token";
    public const string HubPathPrefix = "/hubs";

    private const string NoKeyDetail =
        "This call needs an API key: send 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'.";

    private const string WrongKeyDetail = "The API key is not valid.";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!TryGetPresentedKey(out var key, out var problem))
        {
            if (problem is null)
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            failures.Refused(Request.Path, Context.Connection.RemoteIpAddress, problem);
            return Task.FromResult(AuthenticateResult.Fail(problem));
        }

        var role = verifier.Verify(key, out var keyId);
        if (role == ApiKeyRole.None || keyId is null)
        {
            failures.Refused(Request.Path, Context.Connection.RemoteIpAddress, WrongKeyDetail);
            return Task.FromResult(AuthenticateResult.Fail(WrongKeyDetail));
        }

        var roleName = role == ApiKeyRole.Admin ? GatewayPolicies.AdminRole : GatewayPolicies.ReadOnlyRole;
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, roleName), new Claim(ClaimTypes.Role, roleName), new Claim(GatewayPolicies.KeyIdClaim, keyId)],
            Scheme.Name);
        var ticket = new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(ticket));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.Append(HeaderNames.WWWAuthenticate, "Bearer");
        await WriteProblemAsync(StatusCodes.Status401Unauthorized, "Unauthorized", result.Failure?.Message ?? NoKeyDetail);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return WriteProblemAsync(
            StatusCodes.Status403Forbidden,
            "Forbidden",
            "This API key is read-only: it may list, get and watch jobs, not change them.");
    }

    private bool TryGetPresentedKey(out string key, out string? problem)
    {
        key = "";
        problem = null;
        var headers = Request.Headers;
        var apiKey = headers[ApiKeyHeader];
        if (apiKey.Count > 1)
        {
            problem = $"Send one '{ApiKeyHeader}' header, not {apiKey.Count}.";
            return false;
        }

        if (apiKey.Count == 1)
        {
            key = apiKey[0] ?? "";
            return Present(ref key, ref problem);
        }

        var authorization = headers.Authorization;
        if (authorization.Count == 1 && authorization[0] is { } value)
        {
            const string bearer = "Bearer ";
            if (!value.StartsWith(bearer, StringComparison.OrdinalIgnoreCase))
            {
                problem = "Only the 'Bearer' authorization scheme is supported: 'Authorization: Bearer <key>'.";
                return false;
            }

            key = value[bearer.Length..];
            return Present(ref key, ref problem);
        }

        if (authorization.Count > 1)
        {
            problem = "Send one 'Authorization' header.";
            return false;
        }

        if (Request.Path.StartsWithSegments(HubPathPrefix, StringComparison.OrdinalIgnoreCase)
            && Request.Query[AccessTokenParameter] is { Count: 1 } token)
        {
            key = token[0] ?? "";
            return Present(ref key, ref problem);
        }

        return false;
    }

    private static bool Present(ref string key, ref string? problem)
    {
        key = key.Trim();
        if (key.Length == 0)
        {
            problem = "The API key is empty.";
            return false;
        }

        return true;
    }

    private async Task WriteProblemAsync(int status, string title, string detail)
    {
        var context = new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        };
        if (!await problemDetails.TryWriteAsync(context))
        {
            await Response.WriteAsJsonAsync(context.ProblemDetails, options: null, contentType: "application/problem+json");
        }
    }
}
