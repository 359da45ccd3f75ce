-- hit_windows(K, A): count one hit in each of a request's rate-limit windows, in order,
-- as the limits library's fixed window does (its incr_expire.lua: INCRBY, and EXPIRE when
-- the key is new), stopping at the first window over its amount, as flask-limiter stops
-- at the first limit breached.
--
-- K[i]  the i-th window's key (flask-limiter's name of it: store/windows.py)
-- A[2i-1], A[2i]  the i-th window's amount and its length in seconds
--
-- Returns nil when every window took the hit, else {i, the window's TTL in seconds, its
-- count} of the window over its amount.
local function hit_windows(K, A)
  for i, key in ipairs(K) do
    local current = redis.call('INCRBY', key, 1)
    if current == 1 then redis.call('EXPIRE', key, A[2 * i]) end
    if current > tonumber(A[2 * i - 1]) then
      return {i, redis.call('TTL', key), current}
    end
  end
  return nil
end
