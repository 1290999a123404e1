-- wrk script of bench/qgis_compare.py: each connection issues a one-page wyrys (POST /slubice/extracts)
-- and then fetches its PDF (the GET of the "pdf" link the answer names), and again, as a resident's client
-- does. Run with one connection per thread (-t N -c N) so that a thread's state is its connection's.
-- The body's parcel comes from the environment (BENCH_QGIS_PARCEL). done() prints one line:
--   ODRA_E2E <pairs> <posts> <gets> <failed> <seconds>
local parcel = os.getenv("BENCH_QGIS_PARCEL") or "080505_5.0004.200"
local body = '{"parcels":["' .. parcel .. '"],"applicant":{"name":"Jan Kowalski","address":"Słubice"},' ..
    '"purpose":"benchmark","documents":["wyrys"]}'
local headers = {["Content-Type"] = "application/json"}
local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    pending, posts, gets, failed = nil, 0, 0, 0
end

function request()
    if pending then
        local path = pending
        pending = nil
        return wrk.format("GET", path)
    end
    return wrk.format("POST", "/slubice/extracts", headers, body)
end

function response(status, hdrs, answer)
    if status == 201 then
        local url = answer:match('"pdf"%s*:%s*"([^"]+)"')
        if url then
            pending = url:gsub("^https?://[^/]+", "")
            posts = posts + 1
        else
            failed = failed + 1
        end
    elseif status == 200 and answer:sub(1, 4) == "%PDF" then
        gets = gets + 1
    else
        failed = failed + 1
    end
end

function done(summary, latency, requests)
    local p, g, f = 0, 0, 0
    for _, t in ipairs(threads) do
        p, g, f = p + t:get("posts"), g + t:get("gets"), f + t:get("failed")
    end
    io.write(string.format("ODRA_E2E %d %d %d %d %.3f\n", g, p, g, f + summary.errors.status, summary.duration / 1e6))
end
