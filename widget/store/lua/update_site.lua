-- Move a site's indexes after one article's reaction changed, at most once per change:
-- every site-slot update of one reaction call, in one round trip.
--
-- KEYS[1]  a marker of this change (its random id); it makes a second run a no-op:
--          redis-py sends the script again after a timeout, and Redis may have run the
--          first one after all. The deltas below do not forgive being applied twice.
-- KEYS[2]  total zset, KEYS[3] counts hash, KEYS[4] days hash, KEYS[5] recent zset
-- KEYS[6]  the old reaction's zset (any site key when ARGV[2] is "")
-- KEYS[7]  the new reaction's zset (any site key when ARGV[3] is "")
-- KEYS[8]  the title index zset, KEYS[9] its hash: article hash -> member (index_title.lua)
-- KEYS[10..] for a new article only: the zset of every reaction of the site
-- All in the site's slot.
--
-- ARGV[1]  article hash   ARGV[2] old reaction or ""   ARGV[3] new reaction or ""
-- ARGV[4]  day, yyyymmdd  ARGV[5] now, epoch seconds  ARGV[6] seconds the marker lives
-- ARGV[7]  1 for a new article (put it in every index), else 0
-- ARGV[8]  the article's member of the title index, or "" to leave that index alone
--
-- Returns 1 when the indexes moved, 0 when this change was already applied.
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[6]) then return 0 end
local ah, old, new, day = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

if ARGV[7] == '1' then
  -- Every article is in every index, so sorting by a reaction lists all of them.
  redis.call('ZADD', KEYS[2], 'NX', 0, ah)
  for i = 10, #KEYS do redis.call('ZADD', KEYS[i], 'NX', 0, ah) end
end

local delta = (new ~= '' and 1 or 0) - (old ~= '' and 1 or 0)
redis.call('ZINCRBY', KEYS[2], delta, ah)
if old ~= '' then
  redis.call('ZINCRBY', KEYS[6], -1, ah)
  redis.call('HINCRBY', KEYS[3], old, -1)
  redis.call('HINCRBY', KEYS[4], day .. ':' .. old, -1)
end
if new ~= '' then
  redis.call('ZINCRBY', KEYS[7], 1, ah)
  redis.call('HINCRBY', KEYS[3], new, 1)
  redis.call('HINCRBY', KEYS[4], day .. ':' .. new, 1)
end
redis.call('ZADD', KEYS[5], 'GT', ARGV[5], ah)

-- The title index, as index_title.lua moves it (which reset_article still calls).
local member = ARGV[8]
if member ~= '' then
  local current = redis.call('HGET', KEYS[9], ah)
  if current ~= member then
    if current then redis.call('ZREM', KEYS[8], current) end
    redis.call('ZADD', KEYS[8], 0, member)
    redis.call('HSET', KEYS[9], ah, member)
  end
end
return 1
