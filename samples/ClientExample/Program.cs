// A service that hands work to JobGrains: submit a job, watch it live, cancel it.
// Usage: ConnectionStrings__JobGrains="$(cat .data/connection-string)" JobGrains.ClientExample [echo|sleep-then-cancel]
// The connection string comes from the environment: it holds a password, and a command line is
// visible to every user of the machine.
using JobGrains.Client;
using JobGrains.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__JobGrains")
    ?? throw new InvalidOperationException("Set ConnectionStrings__JobGrains (scripts/run.sh writes it to .data/connection-string).");
var scenario = args.Length > 0 ? args[0] : "echo";

var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.UseOrleansClient(client => client.UseJobGrains(connectionString));
using var host = builder.Build();
await host.StartAsync();
var jobs = host.Services.GetRequiredService<JobsClient>();

if (scenario == "echo")
{
    var submitted = await jobs.SubmitAsync(new JobSubmission
    {
        Type = "echo",
        Instruction = """{"report": "daily", "day": "2026-11-27"}""",
        IdempotencyKey = "example-" + Guid.NewGuid(),
    });
    Console.WriteLine($"submitted {submitted.Job!.Id}: {submitted.Status}");
    await foreach (var view in jobs.WatchAsync(submitted.Job.Id))
    {
        Console.WriteLine($"{view.Id} {view.State.ToWire()} attempt {view.Attempt} result {view.Result}");
    }
}
else
{
    var submitted = await jobs.SubmitAsync(new JobSubmission { Type = "sleep", Instruction = """{"ms": 60000}""" });
    Console.WriteLine($"submitted {submitted.Job!.Id}: {submitted.Status}");
    await foreach (var view in jobs.WatchAsync(submitted.Job.Id))
    {
        Console.WriteLine($"{view.Id} {view.State.ToWire()} progress {view.Progress?.Percent ?? 0:0}%");
        if (view.State == JobState.Running)
        {
            var cancel = await jobs.CancelAsync(view.Id);
            Console.WriteLine($"cancel: {cancel.Status}");
        }
    }
}

await host.StopAsync();
