-- Return the entries of one site index that come right after a keyset cursor.
--
-- KEYS[1]  the index (a zset; highest score first, ties by member, highest first,
--          which is ZREVRANGE's order)
-- ARGV[1]  the cursor's score, ARGV[2] its member, ARGV[3] how many entries to return
--
-- One script, so the position is found and read in one atomic step: an article whose
-- score does not change is never skipped or repeated, however much others move.
-- Returns {member, score, member, score, ...} like ZREVRANGE ... WITHSCORES.
local key, member, count = KEYS[1], ARGV[2], tonumber(ARGV[3])
local score = tonumber(ARGV[1])

local start
local current = redis.call('ZSCORE', key, member)
if current and tonumber(current) == score then
  -- The cursor's article is still where the cursor saw it: continue right after it.
  start = redis.call('ZREVRANK', key, member) + 1
else
  -- It moved or is gone: find the first entry below (score, member) by bisecting the
  -- run of entries that tie on the score, which ZREVRANGE orders by member, descending.
  local lo = redis.call('ZCOUNT', key, '(' .. ARGV[1], '+inf')
  local hi = lo + redis.call('ZCOUNT', key, ARGV[1], ARGV[1])
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    local at = redis.call('ZREVRANGE', key, mid, mid)[1]
    if at < member then hi = mid else lo = mid + 1 end
  end
  start = lo
end
return redis.call('ZREVRANGE', key, start, start + count - 1, 'WITHSCORES')
