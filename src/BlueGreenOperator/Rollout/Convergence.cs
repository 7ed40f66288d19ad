using BlueGreenOperator.Api;

namespace BlueGreenOperator.Rollout;

/// <summary>
/// Makes the world follow what status decided, whatever happened to it meanwhile. Status is the record of decisions
/// (written before any workload write); the Service selector, the serving Deployment and the preview Service are made
/// to match it. A selector that moved without a recorded decision is a hand edit and is restored; a decision that has
/// not reached the Service yet (a lost write, a crash) is carried out. Stages never write the serving colour or the
/// active Service: only these rules do.
/// </summary>
internal static class Convergence
{
    /// <summary>G1–G4, G6: the serving side, before anything a stage wants. Null when it matches status.</summary>
    public static RolloutStep? Serving(PlanContext c)
    {
        var status = c.Status;
        if (ColorNames.Parse(status.ActiveColor) is not { } active)
            return null;

        // G0: while a rollback is under way the judged revision is not served again (its Service not recreated or
        // restored, its Deployment not rebuilt): the rollback's own decision points the Service at the standby.
        if (status.RollbackStartedAt is not null)
            return null;

        AdoptPodTemplateHash(c, active);
        var hash = status.ActivePodTemplateHash;
        var service = c.World.ActiveService;
        var name = c.Spec.Service.Name;
        if (service is null)
        {
            // G1: the decided colour gets its Service: the first one, or again after a deletion.
            if (status.LastSwitchMilliseconds is not null)
                c.Event(EventKind.Warning, "ServiceRestored", $"Service {name} was deleted; created again selecting {active.Label()}");
            else
                SwitchPending(c, active);
            return new PointService(ServiceRole.Active, active, hash);
        }

        if (!SameSelector(service.Selector, DesiredObjects.Selector(c.Resource, active, hash)) || !SamePorts(service.Ports, c.Spec.Service.Ports))
        {
            if (status.LastSwitchMilliseconds is null)
                SwitchPending(c, active);
            if (!ServesAny(c, active, hash) && ServesOnlyTested(c, service))
            {
                // G2″: never move traffic from tested ready pods onto none: the decided colour is rebuilt (G3) first.
                status.Message = $"Waiting for {active.Label()} to have a ready pod before the Service {name} is moved to it";
                return Rebuild(c, active);
            }
            // G2: a decided switch or rollback not carried out yet, or a hand edit of selector or ports undone.
            if (status.LastSwitchMilliseconds is not null)
            {
                var what = SameSelector(service.Selector, DesiredObjects.Selector(c.Resource, active, hash))
                    ? "its ports were changed"
                    : $"its selector was moved to {Describe(service.Selector)} without a decision of the operator";
                c.Event(EventKind.Warning, "SelectorRestored", $"Service {name}: {what}; restored to {active.Label()}");
            }

            return new PointService(ServiceRole.Active, active, hash);
        }

        if (status.LastSwitchMilliseconds is null)
        {
            // G2': the decided switch reached the Service (in this reconcile, or before a restart: then timed from the decision).
            var took = c.World.ActiveServiceWrite ?? (c.World.Now - PlanContext.Utc(status.SwitchedAt ?? c.World.Now));
            status.LastSwitchMilliseconds = Math.Max(0, (long)Math.Round(took.TotalMilliseconds));
            // The decisions that leave lastSwitchMilliseconds empty: a switch (standby kept), a rollback (the judged
            // revision recorded, no standby), the first release.
            var (reason, what) = status.StandbyColor is not null ? ("Switched", "Switched")
                : status.AbortedReason == DegradedReasons.RolledBack ? ("RolledBack", "Rolled back")
                : ("Serving", "Serving");
            c.Event(reason == "RolledBack" ? EventKind.Warning : EventKind.Normal, reason, $"{what}: Service {name} selects {active.Label()} (revision {status.ActiveRevision}); {status.LastSwitchMilliseconds} ms from decision to Service write");
        }

        if (Rebuild(c, active) is { } rebuild)
            return rebuild;

        var deployment = c.Deployment(active);
        if (deployment is not null && deployment.TemplateIntact && deployment.DesiredReplicas != c.Replicas)
        {
            // G4: the serving colour at the spec's size: never below it (a hand scale-down is undone at once).
            var byHand = !c.SpecChanged && status.Phase != Phase.RolledBack;
            c.Event(byHand ? EventKind.Warning : EventKind.Normal, byHand ? "ReplicasRestored" : "Scaled",
                $"Scaling the serving {active.Label()} from {deployment.DesiredReplicas} to {c.Replicas} replicas");
            return new ScaleDeployment(active, c.Replicas);
        }

        // G6: the serving and standby revisions keep a recorded template, so that a deleted colour can be written again
        // (from the template this process remembers, or from the intact Deployment).
        foreach (var (colorName, revision) in new[] { (status.ActiveColor, status.ActiveRevision), (status.StandbyColor, status.StandbyRevision) })
        {
            if (ColorNames.Parse(colorName) is { } kept && revision is not null && !c.World.Templates.Contains(revision)
                && (c.World.RememberedTemplates.Contains(revision) || c.Deployment(kept) is { TemplateIntact: true } d && d.Revision == revision))
            {
                return new RecordTemplate(kept, revision);
            }
        }

        return null;
    }

    /// <summary>G3: the serving colour deleted or edited by hand is written again from the serving revision's template; null when intact.</summary>
    static RolloutStep? Rebuild(PlanContext c, Color active)
    {
        var status = c.Status;
        var deployment = c.Deployment(active);
        if (deployment is not null && deployment.Revision == status.ActiveRevision && deployment.TemplateIntact)
            return null;
        if (!c.HasTemplate(status.ActiveRevision))
        {
            c.DegradedReason = DegradedReasons.TemplateLost;
            status.Phase = Phase.Degraded;
            status.Message = $"The serving Deployment {c.Resource.Metadata.Name}-{active.Label()} is {(deployment is null ? "gone" : "edited by hand")} and the template of revision {status.ActiveRevision} is not kept: it cannot be restored";
            return null;
        }

        c.Event(EventKind.Warning, "DeploymentRestored",
            $"The serving Deployment {c.Resource.Metadata.Name}-{active.Label()} was {(deployment is null ? "deleted" : "edited by hand")}; written again from revision {status.ActiveRevision}");
        return new ApplyDeployment(active, status.ActiveRevision!, status.ActiveModelVersion ?? "", Math.Max(c.Replicas, deployment?.DesiredReplicas ?? 0));
    }

    /// <summary>Whether the decided colour has a ready pod of the decided template.</summary>
    public static bool ServesAny(PlanContext c, Color color, string? hash) =>
        c.World.ReadyPods(color).Any(p => hash is null || p.PodTemplateHash == hash);

    /// <summary>The pods the live Service selects: some ready, all made from a template the operator tested and did not judge bad.</summary>
    static bool ServesOnlyTested(PlanContext c, ObservedService service)
    {
        var status = c.Status;
        // Every selected pod counts, ready or not: an untested one not ready yet takes traffic as soon as it is.
        var selected = Selected(c, service).ToList();
        var tested = new[] { status.ActivePodTemplateHash, status.StandbyPodTemplateHash, status.TestedPodTemplateHash }.OfType<string>().ToHashSet(StringComparer.Ordinal);
        return selected.Any(p => p.Ready) && selected.All(p => p.PodTemplateHash is { } h && tested.Contains(h) && p.Revision != status.AbortedRevision);
    }

    /// <summary>The pods of our colours a Service's selector picks.</summary>
    public static IEnumerable<ObservedPod> Selected(PlanContext c, ObservedService service)
    {
        if (!service.Selector.TryGetValue(WellKnown.InstanceLabel, out var instance) || instance != c.Resource.Metadata.Name || service.SelectedColor is not { } color)
            return [];
        var hash = service.Selector.TryGetValue(WellKnown.PodTemplateHashLabel, out var h) ? h : null;
        return c.World.Pods.Where(p => p.Color == color && (hash is null || p.PodTemplateHash == hash));
    }

    /// <summary>
    /// I8, whatever a stage wants: a colour the live active Service sends traffic to is never made smaller than the
    /// spec's size; convergence moves the Service first.
    /// </summary>
    public static RolloutStep GuardServingCapacity(PlanContext c, RolloutStep step)
    {
        var (color, size) = step switch
        {
            ScaleDeployment scale => (scale.Color, scale.Replicas),
            ApplyDeployment apply => (apply.Color, apply.Replicas),
            _ => (default(Color?), 0),
        };
        if (color is not { } target || size >= c.Replicas || c.World.ActiveService is not { } service
            || c.Deployment(target) is not { } deployment || size >= deployment.DesiredReplicas)
        {
            return step;
        }

        return Selected(c, service).Any(p => p.Ready && p.Color == target) ? Wait.Instance : step;
    }

    /// <summary>
    /// A decided switch (or rollback) has not reached the Service yet: the phase still says so (the colour is decided,
    /// it does not serve yet); it moves on once the Service write is done.
    /// </summary>
    static void SwitchPending(PlanContext c, Color active)
    {
        var status = c.Status;
        if (status.Phase == Phase.RolledBack)
        {
            status.Phase = Phase.Stabilizing;
            status.Message = $"Rolling back: switching Service {c.Spec.Service.Name} to {active.Label()} (revision {status.ActiveRevision})";
            c.DegradedReason = null;
            return;
        }

        if (Phase.IsFailed(status.Phase))
            return;
        status.Phase = status.StandbyColor is not null ? Phase.Promoting : Phase.Initializing;
        status.Message = $"Switching Service {c.Spec.Service.Name} to {active.Label()} (revision {status.ActiveRevision})";
    }

    /// <summary>G5, G7: the preview Service and unneeded recorded templates, after what the stage wants.</summary>
    public static RolloutStep? Surroundings(PlanContext c)
    {
        var status = c.Status;
        var target = ColorNames.Parse(status.PreviewColor) ?? ColorNames.Parse(status.ActiveColor);
        if (target is { } color)
        {
            // G5: the preview Service selects the colour under test, or the serving colour between releases.
            var preview = c.World.PreviewService;
            if (preview is null || !SameSelector(preview.Selector, DesiredObjects.Selector(c.Resource, color, null)) || !SamePorts(preview.Ports, c.Spec.Service.Ports))
                return new PointService(ServiceRole.Preview, color);
        }

        // G7: templates nothing can need any more are deleted.
        var needed = new HashSet<string?> { c.Revision, status.ActiveRevision, status.StandbyRevision, status.PreviewRevision };
        var unneeded = c.World.Templates.Where(r => !needed.Contains(r)).Order(StringComparer.Ordinal).ToList();
        return unneeded.Count > 0 ? new PruneTemplates(unneeded) : null;
    }

    /// <summary>
    /// G8: the pod-template-hash the active Service selects follows the serving pods when their template is still the
    /// one written by the operator (a control-plane upgrade can rename it), and is learned once for objects that
    /// started without it.
    /// </summary>
    static void AdoptPodTemplateHash(PlanContext c, Color active)
    {
        var status = c.Status;
        var deployment = c.Deployment(active);
        if (deployment is not { TemplateIntact: true, IsRolledOut: true } || deployment.Revision != status.ActiveRevision)
            return;
        var hashes = c.ReadyPods(active, status.ActiveRevision!).Select(p => p.PodTemplateHash).Distinct().ToList();
        if (hashes is not [{ } hash] || hash == status.ActivePodTemplateHash)
            return;
        if (status.ActivePodTemplateHash is not null)
            c.Event(EventKind.Warning, "PodTemplateHashChanged", $"The pods of {active.Label()} now have pod-template-hash {hash} with an unchanged template; the active Service follows them");
        status.ActivePodTemplateHash = hash;
    }

    static bool SameSelector(IReadOnlyDictionary<string, string> live, IReadOnlyDictionary<string, string> desired) =>
        live.Count == desired.Count && desired.All(p => live.TryGetValue(p.Key, out var value) && value == p.Value);

    static bool SamePorts(IReadOnlyList<ServicePortSpec> live, IList<ServicePortSpec> desired) =>
        live.Count == desired.Count
        && live.Zip(desired).All(p => p.First.Name == p.Second.Name && p.First.Port == p.Second.Port
            && p.First.TargetPort == p.Second.TargetPort && (p.First.Protocol ?? "TCP") == (p.Second.Protocol ?? "TCP"));

    static string Describe(IReadOnlyDictionary<string, string> selector) =>
        selector.TryGetValue(WellKnown.ColorLabel, out var color) ? color : selector.Count == 0 ? "nothing" : string.Join(",", selector.Select(p => $"{p.Key}={p.Value}"));
}
