-- Put one article in (or take it out of) its site's index by title, atomically.
--
-- KEYS[1]  the index: a zset whose members all score 0, so ZRANGEBYLEX lists them in
--          byte order; a member is "<casefolded title>\0<article hash>"
-- KEYS[2]  a hash: article hash -> its current member (to find the one to replace)
-- Both keys are in the site's slot.
--
-- ARGV[1]  the article hash
-- ARGV[2]  the new member, or "" to take the article out
--
-- Returns 1 when the index changed, 0 when it already held that member.
local index, members, ah, member = KEYS[1], KEYS[2], ARGV[1], ARGV[2]

local old = redis.call('HGET', members, ah)
if old == member or (not old and member == '') then return 0 end
if old then redis.call('ZREM', index, old) end
if member == '' then
  redis.call('HDEL', members, ah)
else
  redis.call('ZADD', index, 0, member)
  redis.call('HSET', members, ah, member)
end
return 1
