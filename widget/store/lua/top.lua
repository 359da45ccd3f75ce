-- Return a page of a site's top list over some days: the sum of their day rankings, kept
-- for a while so that every worker reads the one sum.
--
-- KEYS[1] the sum (keys.top_key), made here when it is missing
-- KEYS[2] the site's count of sums made this minute (keys.top_budget_key)
-- KEYS[3..] the day rankings (keys.day_rank_key) of one reaction or of the total, a day each
-- ARGV[1] the first rank to return (from 0), ARGV[2] how many at most
-- ARGV[3] milliseconds the sum is kept, ARGV[4] the most sums a site may make a minute
--
-- A ranking is scored minus each article's net change that day (lib/update_site.lua's
-- rank_day), so the sum is minus the net change over the days, and its order (score up,
-- then member up) is the list's: the most first, ties by id. Only entries whose net change
-- is above 0 come back.
--
-- Returns {milliseconds the sum has left, {id, minus the change, id, ...}}, or
-- {"too_many_sums", {}} when the sum is missing and the site has made as many this minute as it may: each sum
-- costs the entries of its days, and a list is one GET away for anyone.
local sum = KEYS[1]
if redis.call('EXISTS', sum) == 0 then
  local made = redis.call('INCR', KEYS[2])
  if made == 1 then redis.call('EXPIRE', KEYS[2], 60) end
  if made > tonumber(ARGV[4]) then return {'too_many_sums', {}} end
  local days = {unpack(KEYS, 3)}
  if redis.call('ZUNIONSTORE', sum, #days, unpack(days)) == 0 then
    redis.call('ZADD', sum, 0, '')  -- an empty list is kept too (entries at 0 are no entries)
  end
  redis.call('PEXPIRE', sum, ARGV[3])
end
local first, count = tonumber(ARGV[1]), tonumber(ARGV[2])
local page = redis.call('ZRANGEBYSCORE', sum, '-inf', '(0', 'WITHSCORES', 'LIMIT', first, count)
return {redis.call('PTTL', sum), page}
