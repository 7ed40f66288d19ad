-- Asks the operator to roll back to the previous colour; it performs the action once and removes the annotation.
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["bluegreen.dev/action"] = "rollback"
return obj
