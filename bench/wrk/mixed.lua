-- wrk script: a visitor's mix, the form (GET /) and the greeting (POST /greet)
-- in turn. Needs CSRF_COOKIE and CSRF_TOKEN like greet.lua.
local cookie = assert(os.getenv("CSRF_COOKIE"), "set CSRF_COOKIE")
local token = assert(os.getenv("CSRF_TOKEN"), "set CSRF_TOKEN")
local post_headers = {
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["Cookie"] = "csrftoken=" .. cookie,
}
local post_body = "username=Ada+Lovelace&csrfmiddlewaretoken=" .. token
local count = 0

function request()
  count = count + 1
  if count % 2 == 0 then
    return wrk.format("GET", "/")
  end
  return wrk.format("POST", "/greet", post_headers, post_body)
end
