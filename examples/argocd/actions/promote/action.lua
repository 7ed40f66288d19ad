-- Asks the operator to promote the release under test; it performs the action once and removes the annotation.
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["bluegreen.dev/action"] = "promote"
return obj
