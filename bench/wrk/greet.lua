-- wrk script for bench/http: with CSRF_TOKEN set, POST /greet as a browser does, with the CSRF
-- cookie and token that the form gave (CSRF_COOKIE, CSRF_TOKEN); without it, GET the URL.
-- After wrk's own output, one line for bench/http's summary: req/s, p99 in ms, non-2xx/3xx.
local token = os.getenv("CSRF_TOKEN")
if token then
  wrk.method = "POST"
  wrk.path = "/greet"
  wrk.body = "username=Ada+Lovelace&csrfmiddlewaretoken=" .. token
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = "csrftoken=" .. (os.getenv("CSRF_COOKIE") or "")
end

function done(summary, latency)
  local rate = summary.requests / summary.duration * 1e6
  io.write(string.format("bench: %.0f %.1f %d\n", rate, latency:percentile(99) / 1000,
    summary.errors.status))
end
