-- Asks the operator to retry the aborted revision; it performs the action once and removes the annotation.
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["bluegreen.dev/action"] = "retry"
return obj
