using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace BlueGreenOperator.LocalCluster.ControlPlane;

/// <summary>A throwaway CA, the API server's serving certificate for 127.0.0.1, and the service-account signing key.</summary>
internal sealed record ClusterCertificates(
    string CaCertificatePem,
    string ServingCertificatePem,
    string ServingKeyPem,
    string ServiceAccountKeyPem,
    string ServiceAccountPublicKeyPem)
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    public static ClusterCertificates Create(string serviceAddress)
    {
        var notBefore = DateTimeOffset.UtcNow.AddHours(-1);
        var notAfter = DateTimeOffset.UtcNow.AddYears(1);

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=bluegreen-local-cluster-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(notBefore, notAfter);

        using var servingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var servingRequest = new CertificateRequest("CN=kube-apiserver", servingKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.Parse(serviceAddress));
        foreach (var dns in new[] { "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local" })
        {
            names.AddDnsName(dns);
        }

        servingRequest.CertificateExtensions.Add(names.Build());
        servingRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        servingRequest.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        servingRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthentication)], false));
        servingRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var serving = servingRequest.Create(ca, notBefore, notAfter, RandomNumberGenerator.GetBytes(16));

        using var serviceAccountKey = RSA.Create(2048);
        return new ClusterCertificates(
            ca.ExportCertificatePem(),
            serving.ExportCertificatePem(),
            servingKey.ExportPkcs8PrivateKeyPem(),
            serviceAccountKey.ExportRSAPrivateKeyPem(),
            serviceAccountKey.ExportSubjectPublicKeyInfoPem());
    }
}
