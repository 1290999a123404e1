-- wrk script of bench/qgis_compare.py: QGIS Server's GetPrint, counting only complete PDFs. done() prints
--   QGIS_E2E <pdfs> <failed> <seconds>
local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    pdfs, failed = 0, 0
end

function response(status, hdrs, answer)
    if status == 200 and answer:sub(1, 4) == "%PDF" then
        pdfs = pdfs + 1
    else
        failed = failed + 1
    end
end

function done(summary, latency, requests)
    local p, f = 0, 0
    for _, t in ipairs(threads) do
        p, f = p + t:get("pdfs"), f + t:get("failed")
    end
    io.write(string.format("QGIS_E2E %d %d %.3f\n", p, f + summary.errors.status, summary.duration / 1e6))
end
