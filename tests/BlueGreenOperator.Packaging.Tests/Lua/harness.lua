-- Runs one Argo CD Lua script the way Argo CD does: the live object as the global `obj`, and only the
-- libraries Argo CD offers (no io, os or require), then prints the script's result as JSON.
-- Usage: lua5.1 harness.lua OBJECT_FILE SCRIPT_FILE          (OBJECT_FILE is a Lua chunk returning the object table)
--        lua5.1 harness.lua --each OBJECTS_FILE SCRIPT_FILE  (a chunk returning a list of objects; prints a list of results)

local each = arg[1] == "--each"
local first = each and 2 or 1
local objectFile, scriptFile = arg[first], arg[first + 1]

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

local function run(object)
  local script = assert(loadfile(scriptFile))
  setfenv(script, {
    obj = object,
    pairs = pairs, ipairs = ipairs, next = next, select = select, unpack = unpack,
    type = type, tostring = tostring, tonumber = tonumber, error = error, pcall = pcall,
    string = string, table = table, math = math,
  })
  return script()
end

if each then
  -- One interpreter for many objects: each run gets a fresh script and environment, as Argo CD gives each object.
  local results = {}
  for index, object in ipairs(dofile(objectFile)) do
    results[index] = run(object)
  end
  io.write(encode(results))
else
  io.write(encode(run(dofile(objectFile))))
end
