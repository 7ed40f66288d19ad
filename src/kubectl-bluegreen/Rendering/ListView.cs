namespace BlueGreenOperator.Plugin.Rendering;

/// <summary>The table of <c>kubectl bluegreen list</c>.</summary>
internal static class ListView
{
    public static string Render(IEnumerable<BlueGreenDeployment> items, bool showNamespace, DateTimeOffset now)
    {
        string[] columns = ["NAME", "PHASE", "ACTIVE", "ACTIVE VERSION", "PREVIEW VERSION", "AGE"];
        var table = new TextTable(showNamespace ? ["NAMESPACE", .. columns] : columns);
        foreach (var item in items.OrderBy(i => i.Metadata.NamespaceProperty, StringComparer.Ordinal).ThenBy(i => i.Metadata.Name, StringComparer.Ordinal))
        {
            var status = item.Status;
            string?[] cells =
            [
                item.Metadata.Name,
                status?.Phase,
                status?.ActiveColor,
                status?.ActiveModelVersion,
                status?.PreviewModelVersion,
                Age.Since(item.Metadata.CreationTimestamp, now),
            ];
            table.Add(showNamespace ? [item.Metadata.NamespaceProperty, .. cells] : cells);
        }

        return table.ToString();
    }
}
