-- Remove one article's counts, readers and history, atomically.
--
-- KEYS[1] article hash, KEYS[2] readers hash, KEYS[3] history hash (one hash tag).
-- ARGV    the site's reaction keys, in order.
--
-- Returns {existed (0/1), count of ARGV[1], count of ARGV[2], ...} as they were,
-- so the caller can take them out of the per-site indexes.
local existed = redis.call('EXISTS', KEYS[1])
-- A DEL needs no memory, but the site's indexes moved after it do: so that a Redis out of
-- memory refuses the reset before anything is deleted, its first write is one that needs
-- memory (the same id again: it changes nothing).
local id = redis.call('HGET', KEYS[1], 'id')
if id then redis.call('HSET', KEYS[1], 'id', id) end
local result = {existed}
for i = 1, #ARGV do
  result[#result + 1] = tonumber(redis.call('HGET', KEYS[1], 'c:' .. ARGV[i]) or '0')
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return result
