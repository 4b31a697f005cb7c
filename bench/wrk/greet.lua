-- wrk script: POST /greet as a browser does, with a valid CSRF cookie and token.
-- The caller fetches the form once and passes both:
--   CSRF_COOKIE=... CSRF_TOKEN=... wrk -s bench/wrk/greet.lua http://127.0.0.1:5000
-- wrk counts any answer but 2xx/3xx as "Non-2xx or 3xx responses".
local cookie = assert(os.getenv("CSRF_COOKIE"), "set CSRF_COOKIE")
local token = assert(os.getenv("CSRF_TOKEN"), "set CSRF_TOKEN")

wrk.method = "POST"
wrk.path = "/greet"
wrk.body = "username=Ada+Lovelace&csrfmiddlewaretoken=" .. token
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "csrftoken=" .. cookie
