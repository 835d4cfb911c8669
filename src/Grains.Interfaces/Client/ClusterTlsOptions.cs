using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;

namespace JobGrains.Client;

/// <summary>
/// Mutual TLS between the silos, and between the silos and their Orleans clients (the gateway,
/// your services). Bound from <c>JobGrains:Tls</c> by the silo and the gateway; given to
/// <see cref="JobsClientOptions.Tls"/> by other clients. Off by default: then the Orleans ports
/// must be on a private network (docs/deploy.md). When on, every connection, in either direction,
/// must present a certificate that chains to <see cref="TrustedCertificatePath"/>; a silo refuses a
/// client without one.
/// </summary>
public sealed class ClusterTlsOptions
{
    public const string Section = "JobGrains:Tls";

    /// <summary>
    /// A PKCS#12 (.pfx) file with this process's certificate and its private key. Setting it turns
    /// mutual TLS on; every silo and client of the cluster then needs one.
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary>The password of <see cref="CertificatePath"/>, if it has one.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// A PEM file with the certificate authority (or the one shared self-signed certificate) that
    /// the other side's certificate must chain to. Default: this process's own certificate, for a
    /// cluster whose processes all share one certificate.
    /// </summary>
    public string? TrustedCertificatePath { get; set; }

    public bool Enabled => !string.IsNullOrEmpty(CertificatePath);

    /// <summary>This process's certificate.</summary>
    public X509Certificate2 LoadCertificate() =>
        X509CertificateLoader.LoadPkcs12FromFile(
            CertificatePath ?? throw new InvalidOperationException($"{Section}:CertificatePath is not set."),
            CertificatePassword);

    /// <summary>
    /// Sets <paramref name="tls"/> up for mutual TLS with <paramref name="certificate"/>: a remote
    /// certificate is required both ways and must chain to the trusted certificate.
    /// </summary>
    public void Configure(TlsOptions tls, X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(tls);
        ArgumentNullException.ThrowIfNull(certificate);
        var trusted = string.IsNullOrEmpty(TrustedCertificatePath)
            ? X509CertificateLoader.LoadCertificate(certificate.RawData)
            : X509Certificate2.CreateFromPemFile(TrustedCertificatePath);
        tls.LocalCertificate = certificate;
        tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        tls.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;

        // The chain is checked against the trusted certificate only, not the machine's store: a
        // certificate from some public authority is no member of this cluster. Host names are not
        // checked; silos are reached at addresses, not names.
        tls.RemoteCertificateValidation = (remote, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(trusted);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(remote);
        };
    }
}
