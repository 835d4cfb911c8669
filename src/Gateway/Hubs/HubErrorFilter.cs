using Microsoft.AspNetCore.SignalR;

namespace JobGrains.Gateway.Hubs;

/// <summary>
/// Keeps hub errors apart: a <see cref="HubException"/> is the hub's answer to bad input (a bad
/// or unknown id) and goes back to the caller as it is; anything else is unexpected, so it is
/// logged here as an error and the caller gets a generic message. SignalR's own dispatcher
/// then only ever sees HubExceptions, and its error log for them is turned off (see
/// <see cref="DispatcherCategory"/>), so bad input logs no error.
/// </summary>
internal sealed partial class HubErrorFilter(ILogger<HubErrorFilter> logger) : IHubFilter
{
    /// <summary>The log category of SignalR's dispatcher, which logs every failed hub call as an error.</summary>
    public const string DispatcherCategory = "Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher";

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        ArgumentNullException.ThrowIfNull(invocationContext);
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            return await next(invocationContext);
        }
        catch (HubException)
        {
            throw;
        }
        catch (Exception e)
        {
            LogUnexpected(logger, e, invocationContext.HubMethodName);
            throw new HubException("The call failed unexpectedly; it was logged.");
        }
    }
}
