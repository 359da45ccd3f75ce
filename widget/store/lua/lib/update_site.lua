-- update_site(K, A): move a site's indexes after one article's reaction changed, at most
-- once per change: every site-slot update of one reaction call.
--
-- K[1]  a marker of this change (its random id); it makes a second run a no-op:
--       redis-py sends the script again after a timeout, and Redis may have run the
--       first one after all. The deltas below do not forgive being applied twice.
-- K[2]  total zset, K[3] counts hash, K[4] days hash, K[5] recent zset
-- K[6]  the old reaction's zset (any site key when A[2] is "")
-- K[7]  the new reaction's zset (any site key when A[3] is "")
-- K[8]  the title index zset, K[9] its hash: article hash -> member (index_title.lua)
-- K[10] the day's ranking of the total, K[11] of the old reaction (any site key when
--       A[2] is ""), K[12] of the new one (any site key when A[3] is ""): keys.day_rank_key
-- K[13..] for a new article only: the zset of every reaction of the site
-- All in the site's slot.
--
-- A[1]  article hash   A[2] old reaction or ""   A[3] new reaction or ""
-- A[4]  day, yyyymmdd  A[5] now, epoch seconds  A[6] seconds the marker lives
-- A[7]  1 for a new article (put it in every index), else 0
-- A[8]  the article's member of the title index, or "" to leave that index alone
-- A[9]  the article id (the day rankings' member)
--
-- Returns 1 when the indexes moved, 0 when this change was already applied.
-- The top list's ranking of a day (store/top.py): scored minus the net change, so that
-- ZRANGE's order (score, then member) is the list's: the most first, ties by id. A zero
-- leaves it; the key lives keys.RANK_DAYS (31) days from its day's start.
local function rank_day(key, by, id, now)
  if tonumber(redis.call('ZINCRBY', key, by, id)) == 0 then redis.call('ZREM', key, id) end
  redis.call('EXPIREAT', key, now - now % 86400 + 31 * 86400)
end

local function update_site(K, A)
  if not redis.call('SET', K[1], '1', 'NX', 'EX', A[6]) then return 0 end
  local ah, old, new, day = A[1], A[2], A[3], A[4]

  if A[7] == '1' then
    -- Every article is in every index, so sorting by a reaction lists all of them.
    redis.call('ZADD', K[2], 'NX', 0, ah)
    for i = 13, #K do redis.call('ZADD', K[i], 'NX', 0, ah) end
  end

  local delta = (new ~= '' and 1 or 0) - (old ~= '' and 1 or 0)
  redis.call('ZINCRBY', K[2], delta, ah)
  if old ~= '' then
    redis.call('ZINCRBY', K[6], -1, ah)
    redis.call('HINCRBY', K[3], old, -1)
    redis.call('HINCRBY', K[4], day .. ':' .. old, -1)
  end
  if new ~= '' then
    redis.call('ZINCRBY', K[7], 1, ah)
    redis.call('HINCRBY', K[3], new, 1)
    redis.call('HINCRBY', K[4], day .. ':' .. new, 1)
  end
  redis.call('ZADD', K[5], 'GT', A[5], ah)
  local now = tonumber(A[5])
  if delta ~= 0 then rank_day(K[10], -delta, A[9], now) end
  if old ~= '' then rank_day(K[11], 1, A[9], now) end
  if new ~= '' then rank_day(K[12], -1, A[9], now) end

  -- The title index, as index_title.lua moves it (which reset_article still calls).
  local member = A[8]
  if member ~= '' then
    local current = redis.call('HGET', K[9], ah)
    if current ~= member then
      if current then redis.call('ZREM', K[8], current) end
      redis.call('ZADD', K[8], 0, member)
      redis.call('HSET', K[9], ah, member)
    end
  end
  return 1
end
