-- Argo CD action discovery for bluegreen.dev/BlueGreenDeployment: every verb is listed,
-- disabled unless it applies to the current phase (the operator ignores a verb that does not).
local actions = {}
local status = obj.status or {}
local phase = status.phase

local abortable = phase == "Progressing" or phase == "Testing" or phase == "Paused" or phase == "Promoting"

actions["promote"] = { ["disabled"] = phase ~= "Paused", ["iconClass"] = "fa fa-fw fa-play" }
actions["abort"] = { ["disabled"] = not abortable, ["iconClass"] = "fa fa-fw fa-stop" }
actions["rollback"] = { ["disabled"] = phase ~= "Stabilizing", ["iconClass"] = "fa fa-fw fa-undo" }
actions["retry"] = {
  ["disabled"] = status.abortedRevision == nil or status.abortedRevision == "",
  ["iconClass"] = "fa fa-fw fa-redo",
}
return actions
