// A service of your own as a worker of a JobGrains cluster: it joins the cluster whose PostgreSQL
// is ConnectionStrings:JobGrains and runs jobs of type "reverse", which no stock silo has.
// With a stack from scripts/run.sh (README, "Your own workers"):
//   export ConnectionStrings__JobGrains="$(cat .data/connection-string)"
//   dotnet run --project samples/WorkerExample
// Name and ports come from appsettings.json; JobGrains__Silo__{Name,SiloPort,GatewayPort} override them.
using JobGrains.WorkerExample;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    // appsettings.json beside the program, wherever it is started from.
    ContentRootPath = AppContext.BaseDirectory,
});
builder.AddJobGrainsWorker();
builder.Services.AddJobHandler<ReverseHandler>(ReverseHandler.JobType);
await builder.Build().RunAsync();
