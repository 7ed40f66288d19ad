using BlueGreenOperator.Api;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.Rollout;

/// <summary>
/// The rollout state machine of DESIGN.md as a pure function: the observed world and the recorded status in,
/// the one next step and the status to persist out. The Service selector is the truth about which colour serves;
/// status only remembers what the world cannot show (timers, test results, the aborted revision).
/// </summary>
public static class RolloutPlanner
{
    public static RolloutPlan Plan(ObservedState state)
    {
        var decision = new Decision(state);
        var step = decision.Decide();
        return decision.Finish(step);
    }

    /// <summary>Whether persisting <paramref name="next"/> over <paramref name="current"/> would change anything.</summary>
    public static bool StatusEquals(BlueGreenDeploymentStatus? current, BlueGreenDeploymentStatus? next) =>
        current is null || next is null
            ? ReferenceEquals(current, next)
            : KubernetesJson.Serialize(current) == KubernetesJson.Serialize(next);

    public static BlueGreenDeploymentStatus Clone(BlueGreenDeploymentStatus? status) =>
        status is null ? new BlueGreenDeploymentStatus() : KubernetesJson.Deserialize<BlueGreenDeploymentStatus>(KubernetesJson.Serialize(status));

    static DateTime Utc(DateTime time) => time.Kind == DateTimeKind.Utc ? time : time.ToUniversalTime();

    sealed class Decision
    {
        readonly ObservedState _state;
        readonly BlueGreenDeployment _resource;
        readonly BlueGreenDeploymentStatus _old;
        readonly BlueGreenDeploymentStatus _status;
        readonly List<RolloutEvent> _events = [];
        readonly List<TimeSpan> _timers = [];
        readonly DateTime _now;
        readonly string? _action;
        bool _actionHandled;
        string? _invalidSpec;

        public Decision(ObservedState state)
        {
            _state = state;
            _resource = state.Resource;
            _old = state.Resource.Status ?? new BlueGreenDeploymentStatus();
            _status = Clone(state.Resource.Status);
            var now = Utc(state.Now);
            _now = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
            _status.ObservedGeneration = _resource.Metadata?.Generation;
            var annotations = _resource.Metadata?.Annotations;
            if (annotations is not null && annotations.TryGetValue(WellKnown.ActionAnnotation, out var action))
                _action = action?.Trim().ToLowerInvariant() ?? "";
        }

        BlueGreenDeploymentSpec Spec => _resource.Spec;

        int Replicas => Spec.Replicas;

        int PreviewReplicas => Spec.Strategy?.PreviewReplicas ?? Spec.Replicas;

        StrategySpec Strategy => Spec.Strategy ?? new StrategySpec();

        public RolloutStep Decide()
        {
            var errors = SpecValidator.Validate(_resource);
            if (errors.Count > 0)
            {
                _invalidSpec = string.Join("; ", errors);
                _status.Phase = Phase.Degraded;
                _status.Message = "Invalid spec: " + _invalidSpec;
                if (_old.Message != _status.Message)
                    _events.Add(new RolloutEvent(EventKind.Warning, "InvalidSpec", _status.Message));
                IgnoreAction("the spec is invalid");
                return Wait.Instance;
            }

            if (_action is not null && !RolloutAction.All.Contains(_action))
                IgnoreAction($"'{_action}' is not one of {string.Join(", ", RolloutAction.All)}");

            var revision = RevisionHash.Compute(Spec);
            var activeColor = _state.ActiveService?.SelectedColor;
            var active = activeColor is { } color ? _state.Deployment(color) : null;
            return active is null
                ? Initialize(revision, activeColor ?? ColorNames.Parse(_old.PreviewColor) ?? Color.Blue)
                : Serve(revision, active);
        }

        // 1. Nothing serves yet: bring the first colour up, test it, then create the Service in front of it.
        RolloutStep Initialize(string revision, Color color)
        {
            if (_status.AbortedRevision == revision && TakeAction(RolloutAction.Retry))
            {
                _status.AbortedRevision = null;
                _events.Add(new RolloutEvent(EventKind.Normal, "Retry", $"Retrying revision {revision}"));
            }

            var deployment = _state.Deployment(color);
            if (_status.AbortedRevision == revision)
            {
                IgnoreAction("the first release was aborted; only retry applies");
                KeepFailedPhase();
                return deployment is { DesiredReplicas: > 0 } ? new ScaleDeployment(color, 0) : Wait.Instance;
            }

            StartRelease(color, revision, Phase.Initializing);
            if (TakeAction(RolloutAction.Abort))
                return Abort(color, revision, "Aborted", $"Revision {revision} aborted by the abort action");
            IgnoreAction($"nothing is serving yet (phase {_status.Phase})");

            if (deployment is null || deployment.Revision != revision || deployment.DesiredReplicas != Replicas)
                return Apply(color, revision, Replicas, $"Creating {color.Label()} at revision {revision}");
            if (!deployment.IsRolledOut)
                return AwaitAvailable(color, revision, deployment);

            if (_status.TestedRevision != revision || (_status.TestedPods ?? 0) < Replicas)
            {
                var tested = SmokeTest(color, revision);
                if (tested is not null)
                    return tested;
            }

            _status.ActiveColor = color.Label();
            _status.ActiveRevision = revision;
            _status.ActiveModelVersion = Spec.Model.Version;
            ClearPreview();
            _status.SwitchedAt = _now;
            _status.Phase = Phase.Healthy;
            _status.Message = $"Serving revision {revision} (model {Spec.Model.Version}) from {color.Label()}";
            return new PointService(ServiceRole.Active, color);
        }

        RolloutStep Serve(string revision, ObservedDeployment active)
        {
            var color = active.Color;
            var other = _state.Deployment(color.Other());
            AdoptSwitchSeenInCluster(color);
            _status.ActiveColor = color.Label();
            _status.ActiveRevision = active.Revision;
            _status.ActiveModelVersion = active.ModelVersion;

            if (_status.RollbackStartedAt is not null)
                return ContinueRollback(active, other);

            if (revision == active.Revision)
                return Steady(revision, active, other);

            if (_status.AbortedRevision == revision && TakeAction(RolloutAction.Retry))
            {
                _status.AbortedRevision = null;
                _status.Phase = Phase.Progressing;
                _events.Add(new RolloutEvent(EventKind.Normal, "Retry", $"Retrying revision {revision}"));
            }

            return _status.AbortedRevision == revision
                ? HoldAfterFailure(revision, active, other)
                : Release(revision, active, other);
        }

        // A switch whose status write was lost (a crash between the two): the Service is the truth.
        void AdoptSwitchSeenInCluster(Color serving)
        {
            if (_old.ActiveColor is null || _old.ActiveColor == serving.Label())
                return;
            // Only a rollback points the Service at the standby; its decision may not have been persisted.
            if (_old.StandbyColor == serving.Label())
            {
                _status.AbortedRevision = _old.ActiveRevision;
                FinishRollback(serving);
                return;
            }

            if (_old.PreviewColor == serving.Label())
            {
                _status.StandbyColor = _old.ActiveColor;
                _status.StandbyRevision = _old.ActiveRevision;
                _status.StandbyModelVersion = _old.ActiveModelVersion;
                _status.SwitchedAt = _now;
                _status.Analysis = null;
                _status.Phase = Phase.Stabilizing;
                ClearPreview();
                _events.Add(new RolloutEvent(EventKind.Normal, "Switched", $"Service {Spec.Service.Name} found on {serving.Label()}"));
            }
        }

        // The spec's revision serves: keep it at size, run the stabilization timers and analysis, tear down the rest.
        RolloutStep Steady(string revision, ObservedDeployment active, ObservedDeployment? other)
        {
            var color = active.Color;
            ClearPreview();
            var standby = ColorNames.Parse(_status.StandbyColor);
            if (standby == color.Other() && _status.SwitchedAt is { } switchedAt)
            {
                if (TakeAction(RolloutAction.Rollback))
                    return StartRollback(active, other, "Rollback requested by the rollback action");
                IgnoreAction("only rollback applies while stabilizing");
                if (Stabilize(revision, active, other, Utc(switchedAt)) is { } step)
                    return step;
            }

            ClearStandby();
            IgnoreAction(_status.Phase == Phase.Healthy ? "the release is complete and no standby is kept" : "no release is in progress");
            if (active.DesiredReplicas != Replicas)
                return Scale(color, Replicas, $"Scaling {color.Label()} to {Replicas}");
            if (other is { DesiredReplicas: > 0 })
                return Scale(color.Other(), 0, $"Scaling the idle {color.Other().Label()} to 0");
            if (PreviewServiceMissesColor(color))
                return new PointService(ServiceRole.Preview, color);

            _status.Phase = Phase.Healthy;
            _status.RollbackStartedAt = null;
            _status.Message = $"Serving revision {revision} (model {active.ModelVersion}) from {color.Label()}";
            return Wait.Instance;
        }

        // Returns the step while stabilizing, or null once it is over and the standby is gone.
        RolloutStep? Stabilize(string revision, ObservedDeployment active, ObservedDeployment? other, DateTime switchedAt)
        {
            var color = active.Color;
            _status.Phase = Phase.Stabilizing;
            var end = switchedAt.AddSeconds(Strategy.StabilizationSeconds);
            var scaleDownAt = switchedAt.AddSeconds(Strategy.ScaleDownDelaySeconds);

            var analysis = Spec.Analysis;
            if (analysis is { Checks.Count: > 0 } && _now < end)
            {
                _status.Analysis ??= new AnalysisStatus();
                var due = Utc(_status.Analysis.LastRunAt ?? switchedAt).AddSeconds(analysis.IntervalSeconds);
                if (_now >= due)
                {
                    var report = _state.Analysis;
                    if (report is null || report.Color != color || report.Revision != revision)
                        return new RunAnalysis(color, revision);
                    RecordAnalysis(report);
                    if (_status.Analysis.ConsecutiveFailures >= analysis.FailureLimit)
                    {
                        return StartRollback(active, other,
                            $"Analysis failed {_status.Analysis.ConsecutiveFailures} times in a row: {report.Summary}");
                    }

                    due = _now.AddSeconds(analysis.IntervalSeconds);
                }

                Timer(due);
            }

            if (active.DesiredReplicas < Replicas)
                return Scale(color, Replicas, $"Scaling {color.Label()} to {Replicas}");

            if (_now >= end)
            {
                if (other is { DesiredReplicas: > 0 })
                    return Scale(color.Other(), 0, $"Stabilization over: scaling {color.Other().Label()} to 0");
                _events.Add(new RolloutEvent(EventKind.Normal, "Stabilized", $"Revision {revision} stabilized on {color.Label()}; {color.Other().Label()} torn down"));
                return null;
            }

            Timer(end);
            _status.Message = $"Stabilizing revision {revision} on {color.Label()} until {end:O}; {color.Other().Label()} is the warm standby";
            if (_now >= scaleDownAt)
            {
                if (other is not null && other.DesiredReplicas > Strategy.StandbyReplicas)
                    return Scale(color.Other(), Strategy.StandbyReplicas, $"Scaling {color.Other().Label()} to the warm standby size {Strategy.StandbyReplicas}");
            }
            else
            {
                Timer(scaleDownAt);
            }

            return Wait.Instance;
        }

        void RecordAnalysis(CheckReport report)
        {
            var analysis = _status.Analysis ??= new AnalysisStatus();
            analysis.LastRunAt = _now;
            analysis.Runs++;
            analysis.Results = [.. report.Results];
            analysis.ConsecutiveFailures = report.Passed ? 0 : analysis.ConsecutiveFailures + 1;
            if (!report.Passed)
                _events.Add(new RolloutEvent(EventKind.Warning, "AnalysisFailed", report.Summary));
        }

        // Decide a rollback; the switch back happens in the same decision when the standby has an available pod.
        RolloutStep StartRollback(ObservedDeployment active, ObservedDeployment? other, string why)
        {
            _status.AbortedRevision = active.Revision;
            _status.RollbackStartedAt = _now;
            _status.Message = $"Rolling back revision {active.Revision}: {why}";
            _events.Add(new RolloutEvent(EventKind.Warning, "RollingBack", _status.Message));
            return ContinueRollback(active, other);
        }

        RolloutStep ContinueRollback(ObservedDeployment active, ObservedDeployment? other)
        {
            var standby = ColorNames.Parse(_status.StandbyColor);
            if (standby is not { } target || other is null || other.Revision != _status.StandbyRevision)
            {
                // The standby is gone (torn down or reused): nothing to go back to; keep serving what serves.
                _status.RollbackStartedAt = null;
                _status.Phase = Phase.Degraded;
                _status.Message = $"Cannot roll back revision {active.Revision}: no standby is left; it keeps serving";
                _events.Add(new RolloutEvent(EventKind.Warning, "RollbackImpossible", _status.Message));
                return Wait.Instance;
            }

            _status.Phase = Phase.Stabilizing;
            // Pods above the desired size are on their way out: they do not count as a place to switch to.
            if (Math.Min(other.AvailableReplicas, other.DesiredReplicas) >= 1)
            {
                FinishRollback(target);
                return new PointService(ServiceRole.Active, target);
            }

            if (other.DesiredReplicas < Replicas)
                return Scale(target, Replicas, $"Rollback: scaling the standby {target.Label()} to {Replicas} before switching");
            _status.Message = $"Rollback: waiting for a pod of {target.Label()} to become available";
            return Wait.Instance;
        }

        void FinishRollback(Color restored)
        {
            _status.ActiveColor = restored.Label();
            _status.ActiveRevision = _status.StandbyRevision;
            _status.ActiveModelVersion = _status.StandbyModelVersion;
            ClearStandby();
            _status.RollbackStartedAt = null;
            _status.SwitchedAt = _now;
            _status.Phase = Phase.RolledBack;
            _status.Message = $"Rolled back to revision {_status.ActiveRevision} on {restored.Label()}; revision {_status.AbortedRevision} is aborted until the spec changes or a retry action";
            _events.Add(new RolloutEvent(EventKind.Warning, "RolledBack", _status.Message));
        }

        // The spec asks for a revision that failed: keep serving the active colour at full size, the failed one at 0.
        RolloutStep HoldAfterFailure(string revision, ObservedDeployment active, ObservedDeployment? other)
        {
            IgnoreAction($"revision {revision} was aborted; only retry applies");
            ClearPreview();
            ClearStandby();
            KeepFailedPhase();
            var color = active.Color;
            if (active.DesiredReplicas < Replicas)
                return Scale(color, Replicas, $"Scaling {color.Label()} back to {Replicas}");
            if (other is { DesiredReplicas: > 0 } && active.IsRolledOut)
                return Scale(color.Other(), 0, $"Scaling the failed {color.Other().Label()} to 0");
            if (PreviewServiceMissesColor(color))
                return new PointService(ServiceRole.Preview, color);
            return Wait.Instance;
        }

        // 2-5. A new revision: prepare the other colour, wait, test, pause or promote, then switch.
        RolloutStep Release(string revision, ObservedDeployment active, ObservedDeployment? target)
        {
            var color = active.Color.Other();
            if (_status.StandbyColor == color.Label())
            {
                _events.Add(new RolloutEvent(EventKind.Normal, "StandbyReused", $"The standby {color.Label()} is reused for revision {revision}"));
                ClearStandby();
            }

            StartRelease(color, revision, Phase.Progressing);
            if (TakeAction(RolloutAction.Abort))
                return Abort(color, revision, "Aborted", $"Revision {revision} aborted by the abort action");
            if (_status.Phase == Phase.Paused && TakeAction(RolloutAction.Promote))
            {
                _status.Phase = Phase.Promoting;
                _status.ProgressStartedAt = _now;
                _events.Add(new RolloutEvent(EventKind.Normal, "Promote", $"Revision {revision} promoted by the promote action"));
            }

            IgnoreAction($"it does not apply in phase {_status.Phase}");
            if (active.DesiredReplicas < Replicas)
                return Scale(active.Color, Replicas, $"Scaling {active.Color.Label()} to {Replicas}");

            var size = _status.Phase == Phase.Promoting ? Replicas : PreviewReplicas;
            if (target is null || target.Revision != revision || target.DesiredReplicas != size)
                return Apply(color, revision, size, $"Preparing {color.Label()} at revision {revision} with {size} replicas");
            if (PreviewServiceMissesColor(color))
                return new PointService(ServiceRole.Preview, color);
            if (!target.IsRolledOut)
                return _status.Phase == Phase.Paused ? Wait.Instance : AwaitAvailable(color, revision, target);

            if (_status.Phase is Phase.Progressing or Phase.Testing && _status.TestedRevision != revision)
            {
                _status.Phase = Phase.Testing;
                var tested = SmokeTest(color, revision);
                if (tested is not null)
                    return tested;
                _status.Phase = Strategy.AutoPromote ? Phase.Promoting : Phase.Paused;
                _status.ProgressStartedAt = _now;
                if (_status.Phase == Phase.Paused)
                {
                    _status.Message = $"Revision {revision} passed smoke tests on {color.Label()}; waiting for the promote action";
                    return Wait.Instance;
                }

                if (PreviewReplicas < Replicas)
                    return Apply(color, revision, Replicas, $"Promoting: scaling {color.Label()} to {Replicas}");
            }

            if (_status.Phase == Phase.Paused)
            {
                _status.Message = $"Revision {revision} passed smoke tests on {color.Label()}; waiting for the promote action";
                return Wait.Instance;
            }

            // Promoting: pods added by the scale-up are tested too before any of them takes traffic.
            if ((_status.TestedPods ?? 0) < Replicas)
            {
                var tested = SmokeTest(color, revision);
                if (tested is not null)
                    return tested;
            }

            return Switch(active, color, revision);
        }

        RolloutStep Switch(ObservedDeployment active, Color color, string revision)
        {
            _status.StandbyColor = active.Color.Label();
            _status.StandbyRevision = active.Revision;
            _status.StandbyModelVersion = active.ModelVersion;
            _status.ActiveColor = color.Label();
            _status.ActiveRevision = revision;
            _status.ActiveModelVersion = Spec.Model.Version;
            _status.SwitchedAt = _now;
            _status.Analysis = null;
            _status.Phase = Phase.Stabilizing;
            _status.Message = $"Switched Service {Spec.Service.Name} to {color.Label()} (revision {revision}); {active.Color.Label()} stays as standby";
            _events.Add(new RolloutEvent(EventKind.Normal, "Switched", _status.Message));
            ClearPreview();
            return new PointService(ServiceRole.Active, color);
        }

        // Shared by the first release and later ones: record which colour tests which revision, restart timers on change.
        void StartRelease(Color color, string revision, string startPhase)
        {
            var fresh = _old.PreviewRevision != revision || _old.PreviewColor != color.Label() || _old.ProgressStartedAt is null;
            _status.PreviewColor = color.Label();
            _status.PreviewRevision = revision;
            _status.PreviewModelVersion = Spec.Model.Version;
            if (fresh)
            {
                if (_old.PreviewRevision is { } superseded && superseded != revision && Phase.IsBeforeSwitch(_old.Phase))
                    _events.Add(new RolloutEvent(EventKind.Normal, "Superseded", $"Revision {revision} replaces {superseded} under test"));
                _status.ProgressStartedAt = _now;
                _status.TestedRevision = null;
                _status.TestedPods = null;
                _status.SmokeTests = null;
                _status.Phase = startPhase;
            }
            else if (!Phase.IsBeforeSwitch(_status.Phase))
            {
                _status.Phase = startPhase;
            }

            _status.Message = $"Bringing up revision {revision} (model {Spec.Model.Version}) on {color.Label()}";
        }

        RolloutStep AwaitAvailable(Color color, string revision, ObservedDeployment deployment)
        {
            var deadline = Utc(_status.ProgressStartedAt ?? _now).AddSeconds(Strategy.ProgressDeadlineSeconds);
            if (_now >= deadline)
            {
                return Abort(color, revision, "ProgressDeadlineExceeded",
                    $"Revision {revision} on {color.Label()} was not available within {Strategy.ProgressDeadlineSeconds}s ({deployment.AvailableReplicas}/{deployment.DesiredReplicas} available)");
            }

            Timer(deadline);
            _status.Message = $"Waiting for {color.Label()} at revision {revision}: {deployment.AvailableReplicas}/{deployment.DesiredReplicas} available";
            return Wait.Instance;
        }

        // Returns the step to take while smoke tests are not settled, or null once they passed.
        RolloutStep? SmokeTest(Color color, string revision)
        {
            var report = _state.SmokeTests;
            if (Spec.SmokeTests is not { Count: > 0 })
            {
                _status.TestedRevision = revision;
                _status.TestedPods = _state.Deployment(color)?.AvailableReplicas ?? 0;
                return null;
            }

            if (report is null || report.Color != color || report.Revision != revision)
            {
                _status.Message = $"Running smoke tests against {color.Label()} at revision {revision}";
                return new RunSmokeTests(color, revision);
            }

            _status.SmokeTests = [.. report.Results];
            var desired = _state.Deployment(color)?.DesiredReplicas ?? 0;
            if (report.PodsTested < desired && report.Results.All(r => r.Passed))
            {
                // A pod stopped being Ready between the Deployment's status and the test: that is not a failed test.
                var deadline = Utc(_status.ProgressStartedAt ?? _now).AddSeconds(Strategy.ProgressDeadlineSeconds);
                var message = $"only {report.PodsTested} of {desired} pods of {color.Label()} were ready for smoke tests";
                if (_now >= deadline)
                    return Abort(color, revision, "ProgressDeadlineExceeded", $"Revision {revision}: {message} within {Strategy.ProgressDeadlineSeconds}s");
                _status.Message = $"Revision {revision}: {message}; testing again shortly";
                Timer(_now.AddSeconds(1));
                return Wait.Instance;
            }

            if (!report.Passed)
                return Abort(color, revision, "SmokeTestsFailed", $"Revision {revision} failed smoke tests on {color.Label()}: {report.Summary}");
            _status.TestedRevision = revision;
            _status.TestedPods = report.PodsTested;
            _events.Add(new RolloutEvent(EventKind.Normal, "SmokeTestsPassed", $"Revision {revision}: {report.Summary}"));
            return null;
        }

        RolloutStep Abort(Color color, string revision, string reason, string message)
        {
            _status.AbortedRevision = revision;
            _status.Phase = Phase.Degraded;
            _status.Message = message;
            ClearPreview();
            _events.Add(new RolloutEvent(EventKind.Warning, reason, message));
            var deployment = _state.Deployment(color);
            return deployment is { DesiredReplicas: > 0 } ? new ScaleDeployment(color, 0) : Wait.Instance;
        }

        RolloutStep Apply(Color color, string revision, int replicas, string message)
        {
            _status.Message = message;
            return new ApplyDeployment(color, revision, Spec.Model.Version, replicas);
        }

        RolloutStep Scale(Color color, int replicas, string message)
        {
            _events.Add(new RolloutEvent(EventKind.Normal, "Scaled", message));
            return new ScaleDeployment(color, replicas);
        }

        bool PreviewServiceMissesColor(Color color) => _state.PreviewService?.SelectedColor != color;

        void KeepFailedPhase()
        {
            if (_status.Phase is not (Phase.Degraded or Phase.RolledBack))
                _status.Phase = Phase.Degraded;
            _status.Message = _old.Message is { Length: > 0 } message && _old.Phase == _status.Phase
                ? message
                : $"Revision {_status.AbortedRevision} was aborted; change the spec or use the retry action";
        }

        void ClearPreview()
        {
            _status.PreviewColor = null;
            _status.PreviewRevision = null;
            _status.PreviewModelVersion = null;
            _status.ProgressStartedAt = null;
            _status.TestedRevision = null;
            _status.TestedPods = null;
        }

        void ClearStandby()
        {
            _status.StandbyColor = null;
            _status.StandbyRevision = null;
            _status.StandbyModelVersion = null;
            _status.Analysis = null;
        }

        bool TakeAction(string verb)
        {
            if (_action != verb || _actionHandled)
                return false;
            _actionHandled = true;
            return true;
        }

        void IgnoreAction(string why)
        {
            if (_action is null || _actionHandled)
                return;
            _actionHandled = true;
            _events.Add(new RolloutEvent(EventKind.Warning, "ActionIgnored", $"Action '{_action}' ignored: {why}"));
        }

        void Timer(DateTime at) => _timers.Add(at > _now ? at - _now : TimeSpan.Zero);

        public RolloutPlan Finish(RolloutStep step)
        {
            if (_action is not null && !_actionHandled)
                IgnoreAction($"it does not apply in phase {_status.Phase}");
            SetConditions();
            if (_old.Phase != _status.Phase && _status.Phase is { } phase)
            {
                var kind = phase is Phase.Degraded or Phase.RolledBack ? EventKind.Warning : EventKind.Normal;
                _events.Add(new RolloutEvent(kind, "Phase" + phase, _status.Message ?? phase));
            }

            TimeSpan? requeue = _timers.Count == 0 ? null : _timers.Min() + TimeSpan.FromSeconds(1);
            return new RolloutPlan(step, _status, requeue, _events, _action is not null);
        }

        void SetConditions()
        {
            var conditions = _status.Conditions ??= new List<V1Condition>();
            var generation = _status.ObservedGeneration;
            var phase = _status.Phase ?? Phase.Initializing;
            var message = _status.Message ?? phase;
            var serving = _state.ActiveService?.SelectedColor is { } color && _state.Deployment(color) is { AvailableReplicas: > 0 } d
                ? d
                : null;
            StatusConditions.Set(conditions, StatusConditions.Ready, serving is not null,
                serving is null ? "NotServing" : "Serving",
                serving is null ? "No available pod serves yet" : $"{serving.Color.Label()} serves with {serving.AvailableReplicas} available pods",
                generation, _now);

            var inProgress = Phase.IsBeforeSwitch(phase) || phase == Phase.Stabilizing;
            StatusConditions.Set(conditions, StatusConditions.Progressing, inProgress && _invalidSpec is null,
                _invalidSpec is not null ? "InvalidSpec" : inProgress ? phase : phase == Phase.Healthy ? "RolloutComplete" : phase,
                message, generation, _now);

            var degraded = phase is Phase.Degraded or Phase.RolledBack;
            var reason = _invalidSpec is not null ? "InvalidSpec"
                : phase == Phase.RolledBack ? "RolledBack"
                : degraded ? "ReleaseAborted"
                : "AsExpected";
            StatusConditions.Set(conditions, StatusConditions.Degraded, degraded, reason, degraded ? message : "No failure", generation, _now);
        }
    }
}
