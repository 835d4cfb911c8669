namespace JobGrains.Storage;

/// <summary>
/// A place in a queue's serving order (priority highest first, then creation, then id): where a
/// refill of the dispatcher's window goes on from.
/// </summary>
internal readonly record struct ServingPosition(int Priority, DateTimeOffset CreatedAt, Guid Id);
