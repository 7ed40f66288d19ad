namespace BlueGreenOperator.LocalCluster.ControlPlane;

/// <summary>The processes of a local cluster, in the order `down` stops them.</summary>
public static class ClusterProcess
{
    public const string Kubelet = "kubelet";
    public const string Scheduler = "kube-scheduler";
    public const string ControllerManager = "kube-controller-manager";
    public const string ApiServer = "kube-apiserver";
    public const string Etcd = "etcd";

    public static readonly IReadOnlyList<string> StopOrder = [Kubelet, Scheduler, ControllerManager, ApiServer, Etcd];
}
