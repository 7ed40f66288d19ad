-- Argo CD action discovery for bluegreen.dev/BlueGreenDeployment: every verb is listed, disabled unless it applies.
-- The rules are the operator's action table (src/BlueGreenOperator/Rollout/ActionTable.cs), read from status alone;
-- a test holds this script to that table for every phase and every combination of the fields read here. The
-- operator ignores an action that does not apply (Warning Event ActionIgnored) and removes the annotation either way.
local actions = {}
local status = obj.status or {}

local function set(value)
  return value ~= nil and value ~= ""
end

-- promote: a release passed its smoke tests and waits for a promote.
local promote = status.phase == "Paused"
-- abort: a release has not switched yet, whatever its phase.
local abort = set(status.previewRevision)
-- rollback: a switched release stabilizes with a warm standby; no release and no rollback under way.
local rollback = set(status.standbyColor) and not set(status.previewRevision) and status.rollbackStartedAt == nil
-- retry: the spec still asks for the revision that was aborted or rolled back.
local retry = set(status.abortedRevision) and status.abortedRevision == status.currentRevision

actions["promote"] = { ["disabled"] = not promote, ["iconClass"] = "fa fa-fw fa-play" }
actions["abort"] = { ["disabled"] = not abort, ["iconClass"] = "fa fa-fw fa-stop" }
actions["rollback"] = { ["disabled"] = not rollback, ["iconClass"] = "fa fa-fw fa-undo" }
actions["retry"] = { ["disabled"] = not retry, ["iconClass"] = "fa fa-fw fa-redo" }
return actions
