namespace JobGrains.Execution.Worker;

/// <summary>How this silo names itself in the <c>silo</c> column, and the job types and tags it can run.</summary>
internal sealed record WorkerIdentity(string Silo, string[] Types, string[] Tags);
