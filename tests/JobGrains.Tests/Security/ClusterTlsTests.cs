using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using JobGrains.Client;
using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace JobGrains.Tests.Security;

/// <summary>
/// Mutual TLS between silo processes and their clients (<c>JobGrains:Tls</c>), with a self-signed
/// certificate made here: the cluster forms and runs jobs, and a client without a certificate
/// cannot connect.
/// </summary>
public sealed class ClusterTlsTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "jg-tls-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly string _password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
    private readonly string _pfx;

    public ClusterTlsTests()
    {
        Directory.CreateDirectory(_directory);
        _pfx = Path.Combine(_directory, "cluster.pfx");
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=jobgrains-test-cluster", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        var now = TimeProvider.System.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        File.WriteAllBytes(_pfx, certificate.Export(X509ContentType.Pkcs12, _password));
    }

    [Fact]
    public async Task A_cluster_with_mutual_tls_runs_jobs_and_refuses_a_client_without_a_certificate()
    {
        await using var cluster = await ProcessCluster.CreateAsync("clustertls");
        var settings = new Dictionary<string, string>
        {
            ["JobGrains:Tls:CertificatePath"] = _pfx,
            ["JobGrains:Tls:CertificatePassword"] = _password,
        };
        await cluster.StartSiloAsync(settings);
        await cluster.StartSiloAsync(settings);
        await cluster.ConnectClientAsync(o => o.Tls = new ClusterTlsOptions { CertificatePath = _pfx, CertificatePassword = _password });

        // The second silo joined: the silos talk to each other over TLS.
        await Eventually.MatchesAsync(
            () => cluster.Database.ScalarAsync<long>("select count(*) from orleansmembershiptable where status = 3"),
            active => active == 2, "both silos to be active");
        var submitted = await cluster.Jobs.SubmitAsync(new JobSubmission { Type = "echo", Instruction = """{"over": "tls"}""" });
        await Eventually.MatchesAsync(
            () => cluster.Database.ScalarAsync<string>("select state from jobs where id = $1", submitted.Job!.Id),
            state => state == "succeeded", "the job to succeed");

        // A client without a certificate keeps failing its TLS handshakes: it never gets to start.
        // (Without TLS on the silos, such a client connects in about a second.)
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Critical);
        builder.UseOrleansClient(client => client.UseJobGrains(cluster.Database.ConnectionString));
        using var plain = builder.Build();
        using var giveUp = new CancellationTokenSource();
        var start = plain.StartAsync(giveUp.Token);
        var first = await Task.WhenAny(start, Task.Delay(TimeSpan.FromSeconds(20)));
        Assert.False(first == start && start.IsCompletedSuccessfully, "a client without a certificate connected");
        await giveUp.CancelAsync();
        await Record.ExceptionAsync(() => start);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
