namespace BlueGreenOperator.LocalCluster.ControlPlane;

/// <summary>
/// What makes the local API server behave like a hardened production one: the admission plugins such clusters
/// enable, and an audit log of what service accounts do (so that tests can compare an operator's requests with the
/// RBAC its chart grants).
/// </summary>
public static class ApiServerPolicies
{
    /// <summary>
    /// The 1.20 defaults the local cluster always had, plus those of a hardened 1.20 cluster (the CIS Kubernetes
    /// Benchmark's 1.2.x admission controls, and OpenShift's owner-reference enforcement):
    /// <list type="bullet">
    /// <item><c>OwnerReferencesPermissionEnforcement</c>: an ownerReference with <c>blockOwnerDeletion</c> needs
    /// <c>update</c> on the owner's <c>finalizers</c> subresource.</item>
    /// <item><c>NodeRestriction</c>: a kubelet (a user of <c>system:nodes</c>) may only modify its own Node and its
    /// pods. The local kubelet authenticates with the admin's token, so it binds nothing here; it is on so that the
    /// plugin set is the hardened one.</item>
    /// <item><c>AlwaysPullImages</c>: every pod pulls its image (the local kubelet runs programs instead, so this only
    /// changes the stored pod spec).</item>
    /// <item><c>EventRateLimit</c>: Events per namespace and per user are rate limited (<see cref="Admission"/>).</item>
    /// </list>
    /// Not enabled: <c>PodSecurityPolicy</c> (deprecated in 1.21 and removed in 1.25; it refuses every pod until
    /// policies are written for every service account) and <c>SecurityContextDeny</c> (the CIS alternative to it, which
    /// refuses the restricted security context the chart gives the operator's own pods).
    /// </summary>
    public static readonly IReadOnlyList<string> AdmissionPlugins =
    [
        "NamespaceLifecycle", "LimitRanger", "ServiceAccount", "DefaultTolerationSeconds", "MutatingAdmissionWebhook",
        "ValidatingAdmissionWebhook", "ResourceQuota", "NodeRestriction", "AlwaysPullImages",
        "OwnerReferencesPermissionEnforcement", "EventRateLimit",
    ];

    /// <summary>The admission configuration file: EventRateLimit's limits, generous enough for many rollouts at once.</summary>
    public const string Admission = """
        apiVersion: apiserver.config.k8s.io/v1
        kind: AdmissionConfiguration
        plugins:
          - name: EventRateLimit
            configuration:
              apiVersion: eventratelimit.admission.k8s.io/v1alpha1
              kind: Configuration
              limits:
                - type: Namespace
                  qps: 50
                  burst: 200
                  cacheSize: 2000
                - type: User
                  qps: 100
                  burst: 400
                  cacheSize: 2000
        """;

    /// <summary>
    /// The audit policy: every request of a service account outside kube-system (operators, and whatever else runs
    /// with a token) at Metadata level, except the RequestReceived stage; nothing of the controllers, the kubelet or
    /// the admin, so the log stays small enough to read in a test.
    /// </summary>
    public const string Audit = """
        apiVersion: audit.k8s.io/v1
        kind: Policy
        omitStages: [RequestReceived]
        rules:
          - level: None
            userGroups: ["system:serviceaccounts:kube-system"]
          - level: Metadata
            userGroups: ["system:serviceaccounts"]
          - level: None
        """;
}
