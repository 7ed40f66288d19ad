namespace BlueGreenOperator.EndToEnd.Tests.Shipping;

/// <summary>Files of the repository, found from the CRD path the build records (the CRD sits in the root's crds/).</summary>
internal static class SourceTree
{
    public static string Root => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(BuildOutputs.CrdPath)!, ".."));

    public static string PathOf(string relative) => Path.Combine(Root, relative);
}
