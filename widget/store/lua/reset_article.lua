-- Remove one article's counts, readers and history, atomically.
--
-- KEYS[1] article hash, KEYS[2] readers hash, KEYS[3] history hash (one hash tag).
-- ARGV    the site's reaction keys, in order.
--
-- Returns {existed (0/1), count of ARGV[1], count of ARGV[2], ...} as they were,
-- so the caller can take them out of the per-site indexes.
local existed = redis.call('EXISTS', KEYS[1])
local result = {existed}
for i = 1, #ARGV do
  result[#result + 1] = tonumber(redis.call('HGET', KEYS[1], 'c:' .. ARGV[i]) or '0')
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return result
