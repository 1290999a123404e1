-- wrk script of bench/qgis_compare.py, end to end as a client sees it. Run with one connection per thread
-- (-t N -c N) so that a thread's state is its connection's. BENCH_E2E (environment) chooses the server:
--   odra: each connection issues a one-page wyrys (POST /slubice/extracts, the parcel from BENCH_QGIS_PARCEL)
--         and then fetches its PDF (the GET of the "pdf" link the answer names), and again;
--   qgis: the GetPrint URL wrk was given, repeated.
-- done() prints "E2E <completed> <failed> <seconds>": completed pairs (odra) or PDFs (qgis).
local odra = os.getenv("BENCH_E2E") ~= "qgis"
local parcel = os.getenv("BENCH_QGIS_PARCEL") or "080505_5.0004.200"
local body = '{"parcels":["' .. parcel .. '"],"applicant":{"name":"Jan Kowalski","address":"Słubice"},' ..
    '"purpose":"benchmark","documents":["wyrys"]}'
local headers = {["Content-Type"] = "application/json"}
local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    pending, completed, failed = nil, 0, 0
end

if odra then
    function request()
        if pending then
            local path = pending
            pending = nil
            return wrk.format("GET", path)
        end
        return wrk.format("POST", "/slubice/extracts", headers, body)
    end
end

function response(status, hdrs, answer)
    if odra and status == 201 then
        local url = answer:match('"pdf"%s*:%s*"([^"]+)"')
        if url then
            pending = url:gsub("^https?://[^/]+", "")
        else
            failed = failed + 1
        end
    elseif status == 200 and answer:sub(1, 4) == "%PDF" then
        completed = completed + 1
    else
        failed = failed + 1
    end
end

function done(summary, latency, requests)
    local c, f = 0, 0
    for _, t in ipairs(threads) do
        c, f = c + t:get("completed"), f + t:get("failed")
    end
    io.write(string.format("E2E %d %d %.3f\n", c, f + summary.errors.status, summary.duration / 1e6))
end
