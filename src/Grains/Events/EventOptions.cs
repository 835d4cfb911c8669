using System.ComponentModel.DataAnnotations;

namespace JobGrains.Events;

/// <summary>How a silo pushes job views to observers. Bound from <c>JobGrains:Events</c>.</summary>
public sealed class EventOptions
{
    public const string Section = "JobGrains:Events";

    /// <summary>
    /// How long a silo gathers job views before it pushes them as one batch. Every batch costs
    /// each observer (dashboards, SignalR hubs, clients) a message and a wake-up, whatever its
    /// size, so a short window saves most of that under load. Default 10 ms; 0 pushes at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan BatchWindow { get; set; } = TimeSpan.FromMilliseconds(10);
}
