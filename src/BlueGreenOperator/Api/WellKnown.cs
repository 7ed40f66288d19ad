namespace BlueGreenOperator.Api;

/// <summary>Names shared by the CRD, the objects the operator owns and the tools around it.</summary>
public static class WellKnown
{
    public const string Group = "bluegreen.dev";
    public const string Version = "v1alpha1";
    public const string ApiVersion = Group + "/" + Version;
    public const string Kind = "BlueGreenDeployment";
    public const string Plural = "bluegreendeployments";
    public const string ShortName = "bgd";

    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "bluegreen-operator";
    public const string InstanceLabel = "app.kubernetes.io/instance";
    public const string ColorLabel = Group + "/color";
    public const string RevisionLabel = Group + "/revision";
    public const string ModelVersionLabel = Group + "/model-version";

    /// <summary>Set by the Deployment controller on ReplicaSets and pods: its hash of the pod template.</summary>
    public const string PodTemplateHashLabel = "pod-template-hash";

    /// <summary>On a colour's Deployment: the hash of its pod template as the API server stored it after the operator's write.</summary>
    public const string TemplateHashAnnotation = Group + "/template-hash";

    /// <summary>On a colour's Deployment: written with the standby's placement overrides.</summary>
    public const string StandbyPlacementAnnotation = Group + "/standby-placement";

    public const string ActionAnnotation = Group + "/action";
    public const string FieldManager = "bluegreen-operator";
}
