using System.Globalization;
using System.Text;
using System.Text.Json;
using k8s.Models;

namespace BlueGreenOperator.EndToEnd.Tests.Shipping;

/// <summary>One request as the API server's audit log recorded it (Metadata level).</summary>
internal sealed record AuditedRequest(string User, string Verb, string Group, string Resource, string? Subresource, string? Namespace, string? Name, int Code, string? Decision)
{
    public string Target => Subresource is null ? Resource : $"{Resource}/{Subresource}";

    public override string ToString() =>
        $"{Verb} {(Group.Length == 0 ? "" : Group + "/")}{Target}{(Name is null ? "" : " " + Name)} {(Namespace is null ? "(cluster-wide)" : "in " + Namespace)} → {Code} {Decision}";
}

/// <summary>Reads the local control plane's audit log (<c>audit.log</c> and its rotated <c>audit-*.log</c>), one entry per request.</summary>
internal static class AuditLog
{
    public static IReadOnlyList<AuditedRequest> Read(string auditLogPath, IReadOnlySet<string> users)
    {
        var byId = new Dictionary<string, AuditedRequest>(StringComparer.Ordinal);
        var directory = Path.GetDirectoryName(auditLogPath)!;
        if (!Directory.Exists(directory))
            return [];
        foreach (var file in Directory.EnumerateFiles(directory, "audit*.log").Order(StringComparer.Ordinal))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                if (line.Length == 0)
                    continue;
                using var entry = JsonDocument.Parse(line);
                var root = entry.RootElement;
                var user = root.GetProperty("user").GetProperty("username").GetString() ?? "";
                if (!users.Contains(user) || !root.TryGetProperty("objectRef", out var target))
                    continue;
                var decision = root.TryGetProperty("annotations", out var annotations) && annotations.TryGetProperty("authorization.k8s.io/decision", out var d) ? d.GetString() : null;
                var code = root.TryGetProperty("responseStatus", out var status) && status.TryGetProperty("code", out var c) ? c.GetInt32() : 0;

                // A watch is logged when it starts and when it ends: one request.
                byId[root.GetProperty("auditID").GetString()!] = new AuditedRequest(
                    user,
                    root.GetProperty("verb").GetString()!,
                    Text(target, "apiGroup") ?? "",
                    Text(target, "resource") ?? "",
                    Text(target, "subresource"),
                    Text(target, "namespace"),
                    Text(target, "name"),
                    code,
                    decision);
            }
        }

        return [.. byId.Values];
    }

    static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.GetString() is { Length: > 0 } text ? text : null;
}

/// <summary>One rule of a chart's RBAC where it applies: in one namespace (a Role), or everywhere (a ClusterRole bound cluster-wide).</summary>
internal sealed record GrantedRule(string Holder, string? Namespace, string Verb, string Group, string Target, IReadOnlyList<string> Names)
{
    /// <summary>What the API server's RBAC authorizer would decide for this rule (a name list never covers create, list or watch).</summary>
    public bool Covers(AuditedRequest request) =>
        request.Verb == Verb && request.Group == Group && request.Target == Target
        && (Namespace is null || Namespace == request.Namespace)
        && (Names.Count == 0 || (request.Verb is not ("create" or "list" or "watch" or "deletecollection") && request.Name is { } name && Names.Contains(name)));

    public string Key => $"{Holder}|{Verb}|{Group}|{Target}|{string.Join(',', Names)}";

    /// <summary>Every (rule, verb, resource) the grant's bindings give its ServiceAccount, with where it applies.</summary>
    public static IEnumerable<GrantedRule> Of(ChartGrant grant)
    {
        var manifest = grant.Rbac;
        foreach (var binding in manifest.OfKind("RoleBinding").Select(b => b.As<V1RoleBinding>()))
        {
            var role = manifest.OfKind("Role").Single(r => r.Name == binding.RoleRef.Name && r.Namespace == binding.Metadata.NamespaceProperty).As<V1Role>();
            foreach (var rule in Expand($"Role {role.Metadata.Name}", binding.Metadata.NamespaceProperty, role.Rules))
                yield return rule;
        }

        foreach (var binding in manifest.OfKind("ClusterRoleBinding").Select(b => b.As<V1ClusterRoleBinding>()))
        {
            var role = manifest.OfKind("ClusterRole").Single(r => r.Name == binding.RoleRef.Name).As<V1ClusterRole>();
            foreach (var rule in Expand($"ClusterRole {role.Metadata.Name}", null, role.Rules))
                yield return rule;
        }
    }

    static IEnumerable<GrantedRule> Expand(string holder, string? ns, IEnumerable<V1PolicyRule> rules) =>
        from rule in rules
        from verb in rule.Verbs
        from apiGroup in rule.ApiGroups
        from resource in rule.Resources
        select new GrantedRule(holder, ns, verb, apiGroup, resource, [.. rule.ResourceNames ?? []]);
}

/// <summary>
/// The operator's requests compared with its chart's RBAC in both directions: every request is covered by a rule
/// (nothing used that is not granted), and every rule covers a request (nothing granted that is never used).
/// <c>update</c> on <c>bluegreendeployments/finalizers</c> is never a request: OwnerReferencesPermissionEnforcement
/// checks it on every create of an object whose ownerReference blocks the owner's deletion, so its uses are those creates.
/// </summary>
internal sealed record RbacComparison(IReadOnlyList<RbacComparison.Row> Rows, IReadOnlyList<AuditedRequest> Ungranted)
{
    public const string Finalizers = "bluegreendeployments/finalizers";
    static readonly string[] Owned = ["deployments", "services", "controllerrevisions", "jobs"];

    /// <param name="Holder">The Role or ClusterRole, its namespace left out (rows add up over every watched namespace).</param>
    public sealed record Row(string Holder, string Verb, string Group, string Target, string Names, int InNamespace, int ClusterWide, string Note = "")
    {
        public int Uses => InNamespace + ClusterWide;
    }

    public IReadOnlyList<Row> Unused => [.. Rows.Where(r => r.Uses == 0)];

    public static RbacComparison Of(IReadOnlyList<ChartGrant> grants, IReadOnlyList<AuditedRequest> requests)
    {
        var rows = new Dictionary<string, Row>(StringComparer.Ordinal);
        var ungranted = new List<AuditedRequest>();
        foreach (var grant in grants)
        {
            var rules = GrantedRule.Of(grant).ToList();
            foreach (var rule in rules)
                rows.TryAdd(rule.Key, new Row(rule.Holder, rule.Verb, rule.Group, rule.Target, string.Join(", ", rule.Names), 0, 0));
            foreach (var request in requests.Where(r => r.User == grant.User))
            {
                var rule = rules.FirstOrDefault(g => g.Covers(request));
                if (rule is null || request.Decision == "forbid")
                {
                    ungranted.Add(request);
                    continue;
                }

                var row = rows[rule.Key];
                rows[rule.Key] = request.Namespace is null ? row with { ClusterWide = row.ClusterWide + 1 } : row with { InNamespace = row.InNamespace + 1 };
            }

            foreach (var rule in rules.Where(r => r.Target == Finalizers))
            {
                var creates = requests.Count(r => r.User == grant.User && r.Verb == "create" && r.Code == 201 && Owned.Contains(r.Resource) && (rule.Namespace is null || r.Namespace == rule.Namespace));
                var row = rows[rule.Key];
                rows[rule.Key] = row with { InNamespace = row.InNamespace + creates, Note = "checked by OwnerReferencesPermissionEnforcement on each create of an owned object" };
            }
        }

        return new RbacComparison([.. rows.Values.OrderBy(r => r.Holder, StringComparer.Ordinal).ThenBy(r => r.Group, StringComparer.Ordinal).ThenBy(r => r.Target, StringComparer.Ordinal).ThenBy(r => r.Verb, StringComparer.Ordinal)], ungranted);
    }

    /// <summary>The comparison as Markdown tables: every granted rule with its uses, then every request no rule covers.</summary>
    public string Table()
    {
        var text = new StringBuilder();
        text.AppendLine("| granted by | verb | API group | resource | names | requests in a namespace | cluster-wide requests |");
        text.AppendLine("| --- | --- | --- | --- | --- | ---: | ---: |");
        foreach (var row in Rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Holder} | {row.Verb} | {(row.Group.Length == 0 ? "core" : row.Group)} | {row.Target} | {row.Names} | {row.InNamespace}{(row.Note.Length == 0 ? "" : " (" + row.Note + ")")} | {row.ClusterWide} |");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Granted and never used: {(Unused.Count == 0 ? "none" : string.Join("; ", Unused.Select(r => $"{r.Holder} {r.Verb} {r.Target}")))}.");
        text.AppendLine(CultureInfo.InvariantCulture, $"Used and not granted: {(Ungranted.Count == 0 ? "none" : "")}");
        foreach (var request in Ungranted.GroupBy(r => (r.Verb, r.Group, r.Target, r.Namespace is null)).Select(g => (g.First(), g.Count())))
            text.AppendLine(CultureInfo.InvariantCulture, $"- {request.Item1} ({request.Item2}×)");
        return text.ToString();
    }
}
