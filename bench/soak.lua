-- make soak: mixed traffic for wrk (bench/soak.sh). Reads the places to ask about from $SOAK_PLACES (one
-- "parcel_id lon lat" line each). Each request is one of: a map tile (PNG or MVT, some repeated, some new),
-- a WMS GetMap, OGC API items, /locate, a parcel search, and every SOAK_SUBMIT_EVERY-th an extract request
-- (a submission that registers a case and issues a one-page wyrys). Errors are counted by kind.
local places = {}
local f = assert(io.open(os.getenv("SOAK_PLACES")))
for line in f:lines() do
  local id, lon, lat = line:match("^(%S+) (%S+) (%S+)$")
  if id then places[#places + 1] = {id = id, lon = tonumber(lon), lat = tonumber(lat)} end
end
f:close()
local every = tonumber(os.getenv("SOAK_SUBMIT_EVERY") or "400")
local kinds = {"tile", "mvt", "wms", "items", "locate", "search", "extract"}
local threads = {}
local n = 0
counts, errors = {}, {}

setup = function(thread)
  thread:set("seed", #threads + 1)
  table.insert(threads, thread)
end

init = function(args)
  -- SOAK_SEED: each wrk run of the soak (the warm-up's steps, the soak itself) draws other places
  math.randomseed(seed * 7919 + 104729 * tonumber(os.getenv("SOAK_SEED") or "0"))
  for _, k in ipairs(kinds) do counts[k] = 0 end
end

local function tile_of(lon, lat, z)
  local m = 2 ^ z
  local x = math.floor((lon + 180) / 360 * m)
  local r = math.rad(lat)
  local y = math.floor((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * m)
  return x, y
end

request = function()
  n = n + 1
  local p = places[math.random(#places)]
  local r = math.random(100)
  if n % every == 0 then
    counts.extract = counts.extract + 1
    local body = '{"parcels":["' .. p.id .. '"],"applicant":{"name":"Jan Kowalski","address":"Słubice"},' ..
                 '"purpose":"soak","documents":["wyrys"]}'
    return wrk.format("POST", "/slubice/extracts", {["Content-Type"] = "application/json"}, body)
  elseif r <= 35 then
    counts.tile = counts.tile + 1
    local z = 14 + math.random(0, 4)
    local x, y = tile_of(p.lon, p.lat, z)
    return wrk.format("GET", "/slubice/tiles/plan/" .. z .. "/" .. x .. "/" .. y .. ".png")
  elseif r <= 50 then
    counts.mvt = counts.mvt + 1
    local z = 13 + math.random(0, 5)
    local x, y = tile_of(p.lon, p.lat, z)
    return wrk.format("GET", "/slubice/tiles/plan/" .. z .. "/" .. x .. "/" .. y .. ".mvt",
                      {["Accept-Encoding"] = "gzip"})
  elseif r <= 62 then
    counts.wms = counts.wms + 1
    local d = 0.002
    local bbox = string.format("%.5f,%.5f,%.5f,%.5f", p.lat - d, p.lon - d, p.lat + d, p.lon + d)
    return wrk.format("GET", "/slubice/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=plan&STYLES=&CRS=EPSG:4326" ..
                      "&BBOX=" .. bbox .. "&WIDTH=256&HEIGHT=256&FORMAT=image/png")
  elseif r <= 74 then
    counts.items = counts.items + 1
    local d = 0.003
    local bbox = string.format("%.5f,%.5f,%.5f,%.5f", p.lon - d, p.lat - d, p.lon + d, p.lat + d)
    return wrk.format("GET", "/slubice/ogc/collections/parcels/items?limit=100&bbox=" .. bbox)
  elseif r <= 90 then
    counts.locate = counts.locate + 1
    return wrk.format("GET", string.format("/slubice/locate?lon=%.6f&lat=%.6f", p.lon, p.lat))
  else
    counts.search = counts.search + 1
    if r % 2 == 0 then
      return wrk.format("GET", "/slubice/parcels?id=" .. p.id)
    end
    local num = p.id:match("%.(%d+)[^.]*$") or "1"
    return wrk.format("GET", "/slubice/search?q=" .. num)
  end
end

-- wrk does not say which request an answer belongs to: requests are counted by kind as they are sent, and
-- answers of 400 and above as one number
response = function(status, headers, body)
  if status >= 400 then errors.all = (errors.all or 0) + 1 end
end

done = function(summary, latency, requests)
  local total, bad = {}, 0
  for _, t in ipairs(threads) do
    local c, e = t:get("counts"), t:get("errors")
    for _, k in ipairs(kinds) do total[k] = (total[k] or 0) + (c and c[k] or 0) end
    bad = bad + (e and e.all or 0)
  end
  local line = "soak_requests"
  for _, k in ipairs(kinds) do line = line .. string.format(" %s=%d", k, total[k]) end
  print(line)
  local errs = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  print(string.format("soak_errors %d (answers of 400 and above %d; socket: connect %d, read %d, write %d, " ..
                      "timeout %d)", bad + errs, bad, summary.errors.connect, summary.errors.read,
                      summary.errors.write, summary.errors.timeout))
  print(string.format("soak_latency_ms p50 %.1f p99 %.1f max %.1f; %.0f req/s", latency:percentile(50) / 1000,
                      latency:percentile(99) / 1000, latency.max / 1000, summary.requests / (summary.duration / 1e6)))
end
