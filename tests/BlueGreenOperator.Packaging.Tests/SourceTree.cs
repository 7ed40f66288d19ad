namespace BlueGreenOperator.Packaging.Tests;

/// <summary>Files of the repository under test, found from the test binaries upwards.</summary>
internal static class SourceTree
{
    private static readonly Lazy<string> RootDirectory = new(FindRoot);

    public static string Root => RootDirectory.Value;

    public static string PathOf(string relativePath) =>
        Path.Combine(Root, relativePath.Replace('/', Path.DirectorySeparatorChar));

    public static string ReadText(string relativePath) => File.ReadAllText(PathOf(relativePath));

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "BlueGreenOperator.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("BlueGreenOperator.sln not found above " + TestContext.CurrentContext.TestDirectory);
    }
}
