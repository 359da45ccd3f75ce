-- Move a site's indexes after one article's reaction changed, at most once per change.
--
-- KEYS[1]  a marker of this change (its random id); it makes a second run a no-op:
--          redis-py sends the script again after a timeout, and Redis may have run the
--          first one after all. The deltas below do not forgive being applied twice.
-- KEYS[2]  total zset, KEYS[3] counts hash, KEYS[4] days hash, KEYS[5] recent zset
-- KEYS[6]  the old reaction's zset (any site key when ARGV[2] is "")
-- KEYS[7]  the new reaction's zset (any site key when ARGV[3] is "")
-- All in the site's slot.
--
-- ARGV[1]  article hash   ARGV[2] old reaction or ""   ARGV[3] new reaction or ""
-- ARGV[4]  day, yyyymmdd  ARGV[5] now, epoch seconds  ARGV[6] seconds the marker lives
--
-- Returns 1 when the indexes moved, 0 when this change was already applied.
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[6]) then return 0 end
local ah, old, new, day = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

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
return 1
