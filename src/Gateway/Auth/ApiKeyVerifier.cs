using System.Security.Cryptography;
using System.Text;
using JobGrains.Gateway.Options;
using Microsoft.Extensions.Options;

namespace JobGrains.Gateway.Auth;

/// <summary>
/// Tells which configured key, if any, a caller presented. Keys are compared as SHA-256 hashes
/// with <see cref="CryptographicOperations.FixedTimeEquals"/>, against every configured key without
/// stopping at the first match, so the time taken says nothing about the keys.
/// </summary>
internal sealed class ApiKeyVerifier
{
    // A key id is 12 hex digits: the first 6 bytes of the key's hash.
    private const int KeyIdBytes = 6;

    private readonly byte[][] _adminHashes;
    private readonly byte[][] _readOnlyHashes;

    public ApiKeyVerifier(IOptions<AuthOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _adminHashes = [.. options.Value.Keys.Select(Hash)];
        _readOnlyHashes = [.. options.Value.ReadOnlyKeys.Select(Hash)];
    }

    /// <summary>The role of the presented key; <see cref="ApiKeyRole.None"/> when no configured key matches.</summary>
    public ApiKeyRole Verify(ReadOnlySpan<char> presented) => Verify(presented, out _);

    /// <summary>
    /// The role of the presented key, and (unless <see cref="ApiKeyRole.None"/>) its id: the first
    /// 12 hex digits of its SHA-256 hash, which names the key in logs and limits without revealing it.
    /// </summary>
    public ApiKeyRole Verify(ReadOnlySpan<char> presented, out string? keyId)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var maxBytes = Encoding.UTF8.GetMaxByteCount(presented.Length);
        var buffer = maxBytes <= 512 ? stackalloc byte[512] : new byte[maxBytes];
        var length = Encoding.UTF8.GetBytes(presented, buffer);
        SHA256.HashData(buffer[..length], hash);

        var admin = false;
        var readOnly = false;
        foreach (var candidate in _adminHashes)
        {
            admin |= CryptographicOperations.FixedTimeEquals(candidate, hash);
        }

        foreach (var candidate in _readOnlyHashes)
        {
            readOnly |= CryptographicOperations.FixedTimeEquals(candidate, hash);
        }

        var role = admin ? ApiKeyRole.Admin : readOnly ? ApiKeyRole.ReadOnly : ApiKeyRole.None;
        keyId = role == ApiKeyRole.None ? null : Convert.ToHexStringLower(hash[..KeyIdBytes]);
        return role;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
