-- Argo CD health check for bluegreen.dev/BlueGreenDeployment.
-- Reads only status written by the operator; Argo CD runs it with the live object as `obj`.
-- Degraded whenever the Degraded condition is True, whatever its reason (InvalidSpec, NameConflict, WriteRefused,
-- TemplateLost, RollbackImpossible, ReleaseAborted, SmokeTestsFailed, ProgressDeadlineExceeded, Aborted, RolledBack),
-- with the operator's message, which says what failed (for WriteRefused, the API server's reason).
local hs = {}

local function condition(status, conditionType)
  if status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

local function message(status, fallback)
  if status.message ~= nil and status.message ~= "" then
    return status.message
  end
  return fallback
end

local status = obj.status
if status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator"
  return hs
end

-- A spec the operator has not seen yet says nothing about the current phase.
local generation = obj.metadata.generation
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local phase = status.phase
local degraded = condition(status, "Degraded")

if phase == "Degraded" or phase == "RolledBack" or (degraded ~= nil and degraded.status == "True") then
  hs.status = "Degraded"
  local fallback = "Release failed"
  if degraded ~= nil and degraded.status == "True" and degraded.message ~= nil and degraded.message ~= "" then
    fallback = degraded.message
  elseif phase == "RolledBack" then
    fallback = "Rolled back"
  end
  hs.message = message(status, fallback)
  return hs
end

if phase == "Paused" then
  hs.status = "Suspended"
  hs.message = message(status, "Waiting for promote")
  return hs
end

if phase == "Healthy" then
  hs.status = "Healthy"
  hs.message = message(status, "Serving")
  return hs
end

if phase == nil or phase == "" or phase == "Initializing" or phase == "Progressing" or phase == "Testing"
    or phase == "Promoting" or phase == "Stabilizing" then
  hs.status = "Progressing"
  hs.message = message(status, "Phase " .. tostring(phase or "unknown"))
  return hs
end

hs.status = "Unknown"
hs.message = message(status, "Unknown phase " .. tostring(phase))
return hs
