-- Move one article's entries in a site's day rankings onto another's (a move or a merge
-- of articles): each day's change of the first is added to the second's, atomically.
--
-- KEYS  the day rankings (keys.day_rank_key) that may hold the article, in the site's slot
-- ARGV[1] the id moved from, ARGV[2] the id moved to
--
-- Returns how many rankings held the first.
local moved = 0
for _, key in ipairs(KEYS) do
  local score = redis.call('ZSCORE', key, ARGV[1])
  if score then
    moved = moved + 1
    redis.call('ZREM', key, ARGV[1])
    if tonumber(redis.call('ZINCRBY', key, score, ARGV[2])) == 0 then
      redis.call('ZREM', key, ARGV[2])
    end
  end
end
return moved
