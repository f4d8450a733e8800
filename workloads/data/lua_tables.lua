-- The lua workload's script (workloads/program_lua.cc): lua5.4 ROUNDS ITEMS SEED
--
-- Lua allocates every string, table, closure and upvalue through one realloc
-- function that the process allocator serves, and frees them in its
-- garbage collector: tables grow by realloc (array and hash parts doubling),
-- strings are interned, and the collector returns memory in bursts. Each
-- round builds ITEMS records (a table with a hash part, an array part grown
-- one element at a time, strings from string.format, gsub and rep,
-- closures), sorts them, builds an index and a text report with
-- table.concat, keeps a random eighth alive in a ring of earlier rounds,
-- and drops the rest. Prints "allocmark-checksum: N" at the end.
local rounds, items, seed = tonumber(arg[1]), tonumber(arg[2]), tonumber(arg[3])
math.randomseed(seed)
local random = math.random

local function make_record(key)
  local r = { key = key, name = string.format("item-%08d-%s", key, string.rep("z", random(0, 40))) }
  local values = {}
  for i = 1, random(1, 24) do values[i] = random() * key end
  r.values = values
  local attrs = {}
  for i = 1, random(1, 10) do attrs["a" .. random(1, 64)] = string.rep("v", random(1, 80)) end
  r.attrs = attrs
  local base = key
  r.score = function(w) return base * w + #values end
  return r
end

local ring, ring_size = {}, 8
local checksum = 0
for round = 1, rounds do
  local records = {}
  for i = 1, items do records[i] = make_record(round * items + i) end
  table.sort(records, function(a, b) return a.name < b.name end)
  local index = {}
  for _, r in ipairs(records) do index[r.name] = r end
  local lines = {}
  for i, r in ipairs(records) do
    lines[i] = r.name:gsub("%-", "_") .. ":" .. #r.values .. ":" .. r.score(2)
  end
  local text = table.concat(lines, "\n")
  local kept = {}
  for i = 1, items // 8 do kept[i] = records[random(1, items)] end
  ring[round % ring_size + 1] = kept
  for name, r in pairs(index) do
    if index[r.name] ~= r then error("index lost " .. name) end
  end
  checksum = (checksum * 31 + #text) % 1000000007
end
print("allocmark-checksum: " .. checksum)
