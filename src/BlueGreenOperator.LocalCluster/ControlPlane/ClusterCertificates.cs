using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace BlueGreenOperator.LocalCluster.ControlPlane;

/// <summary>
/// Throwaway key material of one cluster: the CA and the API server's serving certificate for 127.0.0.1, the
/// service-account signing key, and for API aggregation a front-proxy CA with the client certificate the API server
/// proxies with, plus the serving certificate of the local metrics API (signed by the cluster CA).
/// </summary>
internal sealed record ClusterCertificates(
    string CaCertificatePem,
    string ServingCertificatePem,
    string ServingKeyPem,
    string ServiceAccountKeyPem,
    string ServiceAccountPublicKeyPem,
    string FrontProxyCaCertificatePem,
    string ProxyClientCertificatePem,
    string ProxyClientKeyPem,
    string MetricsServingCertificatePem,
    string MetricsServingKeyPem)
{
    /// <summary>The common name of the API server's proxy client certificate, the one name the metrics API trusts.</summary>
    public const string ProxyClientName = "front-proxy-client";

    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    public static ClusterCertificates Create(string serviceAddress, string metricsAddress, string metricsServiceName)
    {
        var notBefore = DateTimeOffset.UtcNow.AddHours(-1);
        var notAfter = DateTimeOffset.UtcNow.AddYears(1);
        using var ca = CreateAuthority("CN=bluegreen-local-cluster-ca", notBefore, notAfter);
        using var frontProxyCa = CreateAuthority("CN=bluegreen-local-cluster-front-proxy-ca", notBefore, notAfter);

        var apiServerNames = new SubjectAlternativeNameBuilder();
        apiServerNames.AddIpAddress(IPAddress.Loopback);
        apiServerNames.AddIpAddress(IPAddress.Parse(serviceAddress));
        foreach (var dns in new[] { "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local" })
        {
            apiServerNames.AddDnsName(dns);
        }

        var (serving, servingKey) = CreateLeaf(ca, "CN=kube-apiserver", apiServerNames, ServerAuthentication, notBefore, notAfter);

        // The aggregator names the Service (<name>.<namespace>.svc) when it checks the certificate, whatever address it dials.
        var metricsNames = new SubjectAlternativeNameBuilder();
        metricsNames.AddIpAddress(IPAddress.Parse(metricsAddress));
        metricsNames.AddDnsName(metricsServiceName);
        var (metrics, metricsKey) = CreateLeaf(ca, "CN=local-metrics", metricsNames, ServerAuthentication, notBefore, notAfter);
        var (proxyClient, proxyClientKey) = CreateLeaf(frontProxyCa, $"CN={ProxyClientName}", null, ClientAuthentication, notBefore, notAfter);

        using var serviceAccountKey = RSA.Create(2048);
        return new ClusterCertificates(
            ca.Certificate.ExportCertificatePem(),
            serving,
            servingKey,
            serviceAccountKey.ExportRSAPrivateKeyPem(),
            serviceAccountKey.ExportSubjectPublicKeyInfoPem(),
            frontProxyCa.Certificate.ExportCertificatePem(),
            proxyClient,
            proxyClientKey,
            metrics,
            metricsKey);
    }

    private static Authority CreateAuthority(string subject, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return new Authority(request.CreateSelfSigned(notBefore, notAfter), key);
    }

    /// <summary>A certificate signed by <paramref name="issuer"/> for one use (server or client), as PEM with its key.</summary>
    private static (string Certificate, string Key) CreateLeaf(
        Authority issuer,
        string subject,
        SubjectAlternativeNameBuilder? names,
        string usage,
        DateTimeOffset notBefore,
        DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        if (names is not null)
        {
            request.CertificateExtensions.Add(names.Build());
        }

        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Certificate, true, false));
        using var certificate = request.Create(issuer.Certificate, notBefore, notAfter, RandomNumberGenerator.GetBytes(16));
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    private sealed record Authority(X509Certificate2 Certificate, ECDsa Key) : IDisposable
    {
        public void Dispose()
        {
            Certificate.Dispose();
            Key.Dispose();
        }
    }
}
