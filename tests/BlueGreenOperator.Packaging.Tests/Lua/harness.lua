-- Runs one Argo CD Lua script the way Argo CD does: the live object as the global `obj`, and only the
-- libraries Argo CD offers (no io, os or require), then prints the script's result as JSON.
-- Usage: lua5.1 harness.lua OBJECT_FILE SCRIPT_FILE   (OBJECT_FILE is a Lua chunk returning the object table)

local objectFile, scriptFile = arg[1], arg[2]

local function encode(value)
  local kind = type(value)
  if kind == "nil" then
    return "null"
  elseif kind == "boolean" then
    return tostring(value)
  elseif kind == "number" then
    if value == math.floor(value) then
      return string.format("%d", value)
    end
    return string.format("%.14g", value)
  elseif kind == "string" then
    local escaped = value:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end)
    return '"' .. escaped .. '"'
  elseif kind == "table" then
    local parts = {}
    if value[1] ~= nil then
      for _, item in ipairs(value) do
        parts[#parts + 1] = encode(item)
      end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    local keys = {}
    for key in pairs(value) do
      keys[#keys + 1] = tostring(key)
    end
    table.sort(keys)
    for _, key in ipairs(keys) do
      parts[#parts + 1] = encode(key) .. ":" .. encode(value[key])
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  error("cannot encode a " .. kind)
end

local object = dofile(objectFile)
local script = assert(loadfile(scriptFile))
setfenv(script, {
  obj = object,
  pairs = pairs, ipairs = ipairs, next = next, select = select, unpack = unpack,
  type = type, tostring = tostring, tonumber = tonumber, error = error, pcall = pcall,
  string = string, table = table, math = math,
})
io.write(encode(script()))
