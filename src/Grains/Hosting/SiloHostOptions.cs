using System.ComponentModel.DataAnnotations;
using System.Net;

namespace JobGrains.Hosting;

/// <summary>Who this silo is and where it listens. Bound from <c>JobGrains:Silo</c>.</summary>
public sealed class SiloHostOptions : IValidatableObject
{
    public const string Section = "JobGrains:Silo";

    /// <summary>A readable name (<c>silo-1</c>, ...). Default: the machine name.</summary>
    [Required]
    public string Name { get; set; } = Environment.MachineName;

    /// <summary>The port for silo-to-silo traffic. Default 11111.</summary>
    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    /// <summary>The port Orleans clients (gateways, other services) connect to. Default 11211.</summary>
    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 11211;

    /// <summary>
    /// The HTTP port of <c>/metrics</c> (Prometheus) and <c>/health/live</c>, on
    /// <see cref="AdvertisedAddress"/>. Default 11311 (the scripts use <c>JOBGRAINS_SILO_PORT + 200 + N - 1</c>).
    /// The stock silo (<c>src/Silo</c>) listens there; a worker of your own has no HTTP listener of
    /// its own, and its host decides where to serve the JobGrains meters (see the README).
    /// </summary>
    [Range(1, 65535)]
    public int MetricsPort { get; set; } = 11311;

    /// <summary>The IP address other silos and clients reach this one at. Default 127.0.0.1.</summary>
    [Required]
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// <see cref="AdvertisedAddress"/> parsed; valid once the options are validated. A method, not a
    /// property: the validator reads every property, this one included, before it knows the address is valid.
    /// </summary>
    public IPAddress ParseAdvertisedAddress() => IPAddress.Parse(AdvertisedAddress);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!IPAddress.TryParse(AdvertisedAddress, out _))
        {
            yield return new ValidationResult(
                $"{Section}:AdvertisedAddress must be an IP address, not '{AdvertisedAddress}'.", [nameof(AdvertisedAddress)]);
        }
    }
}
